package h5

// A netCDF-4 file is an HDF5 file whose dimensions are HDF5 dimension
// scales (libhdf5_hl's H5DS): a one-dimensional dataset per dimension,
// marked as a scale and attached to each axis it labels. netCDF readers
// (netCDF-C, so netCDF4-python and xarray) then see named, shared
// dimensions instead of phony_dim_N.

// NCType is the stored type of a netCDF variable. Values are always given
// as float64 and converted on writing.
type NCType int

const (
	NCDouble NCType = iota // float64
	NCInt64                // int64
	NCBool                 // int8 0/1 with the attribute dtype = "bool", which xarray decodes as bool
)

// NCDim is a dimension of a group: a coordinate variable of int64 values
// 0, 1, …, Len−1 (ArviZ's convention for chain and draw).
type NCDim struct {
	Name string
	Len  int
}

// NCVar is a variable over named dimensions of its group, in C order.
type NCVar struct {
	Name  string
	Dims  []string
	Type  NCType
	Data  []float64
	Attrs Attrs
}

// NCGroup is a group ("" for the root) with its dimensions, variables and
// attributes.
type NCGroup struct {
	Path  string
	Dims  []NCDim
	Vars  []NCVar
	Attrs Attrs
}
