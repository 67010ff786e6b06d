package cli

import (
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/mcflow/mcflow/io/h5"
	"github.com/mcflow/mcflow/job"
)

// checkNetCDF opens every group of a netCDF file as arviz.from_netcdf
// does (netCDF4 lists the groups, xarray opens each) and checks the
// ArviZ layout: named dimensions only, posterior and sample_stats over
// (chain, draw, …) and equal to the run's NPY series cut to the file's
// draws, ArviZ's sample_stats names and types, the configurations and the
// root attributes. Arguments: the file, the output directory, the task,
// the wanted draws, partial (0/1), then name=value root attributes.
const checkNetCDF = `import sys, os, json, numpy as np, xarray as xr, netCDF4
path, out, task, draws, partial = sys.argv[1:6]
draws, partial = int(draws), int(partial)
with netCDF4.Dataset(path) as nc:
    groups = list(nc.groups)
    dims = [d for g in nc.groups.values() for d in g.dimensions]
assert not any(d.startswith("phony") for d in dims), dims
root = xr.open_dataset(path)
assert root.attrs["task"] == task and root.attrs["draws"] == draws and root.attrs["partial"] == partial, root.attrs
assert "[sampler]" in root.attrs["job"], root.attrs["job"]
for kv in sys.argv[6:]:
    k, v = kv.split("=")
    assert str(root.attrs[k]) == v, (k, root.attrs[k], v)
g = {name: xr.open_dataset(path, group=name) for name in groups}
rename = {"accept_prob": "acceptance_rate", "divergent": "diverging", "n_leapfrog": "n_steps",
          "at_max_depth": "reached_max_treedepth"}
seen = 0
for f in sorted(os.listdir(os.path.join(out, "npy", task))):
    name = f[:-4]
    if name == "beta":  # a ladder's inverse temperatures: the coordinate beta along rung
        b = np.load(os.path.join(out, "npy", task, f))
        assert np.array_equal(g["posterior"]["e"].coords["beta"].values, b), g["posterior"]
        continue
    a = np.load(os.path.join(out, "npy", task, f))[..., :draws]
    if a.ndim == 3:
        a = a.transpose(0, 2, 1)
    where = "posterior" if name in g["posterior"] else "sample_stats"
    v = g[where][rename.get(name, name)]
    assert v.dims[:2] == ("chain", "draw") and v.shape == a.shape, (name, v.dims, v.shape, a.shape)
    assert np.array_equal(v.values.astype(float), a, equal_nan=True), name
    assert where == "sample_stats" or not np.isnan(v.values).any(), name  # ebfmi starts as NaN
    seen += 1
assert seen == len(g["posterior"].data_vars) + len(g.get("sample_stats", {}).data_vars if "sample_stats" in g else []), seen
if "sample_stats" in g and "diverging" in g["sample_stats"]:
    s = g["sample_stats"]
    assert s["diverging"].dtype == bool and s["n_steps"].dtype == np.int64, s
    assert s["tree_depth"].dtype == np.int64 and "acceptance_rate" in s and "energy" in s, s
if "configurations" in g:
    c = np.load(os.path.join(out, "configs", task + ".npy"))
    k = g["configurations"].attrs["every"]
    cut = c[:, :(draws + k - 1) // k]
    x = g["configurations"]["config"]
    assert x.dims[:2] == ("chain", "snapshot") and np.array_equal(x.values, cut), (x.dims, x.shape, cut.shape)
if "constant_data" in g:
    d = np.load(os.path.join(out, "disorder", task + ".npy"))
    assert np.array_equal(g["constant_data"]["disorder"].values, d)
print("ok", " ".join(groups))
`

func runCheckNetCDF(t *testing.T, file, out, task string, draws, partial int, attrs ...string) string {
	t.Helper()
	args := append([]string{"-c", checkNetCDF, file, out, task, strconv.Itoa(draws), strconv.Itoa(partial)}, attrs...)
	b, err := exec.Command(python, args...).CombinedOutput()
	if err != nil || !strings.HasPrefix(string(b), "ok") {
		t.Fatalf("%s: %v\n%s", file, err, b)
	}
	return strings.TrimSpace(string(b))
}

// mcflow export --netcdf: a NUTS run with configurations and a spin-glass
// ladder with disorder, read back as arviz.from_netcdf reads them; the
// usage errors; and, in the nohdf5 build, a clear refusal.
func TestExportNetCDF(t *testing.T) {
	dir := t.TempDir()
	nuts := writeJob(t, dir, "nuts.toml", "seed = 3\n[model]\nkind = \"funnel\"\ndim = 4\n[sampler]\nkind = \"nuts\"\nchains = 2\nthermalize = 300\nsweeps = 400\n[output]\nformats = [\"npy\"]\nconfigs_every = 10\n")
	out := filepath.Join(dir, "nuts")
	if code, _, e := runCLI(t, "run", nuts, "--out", out, "--progress", "none"); code != 0 {
		t.Fatal(e)
	}
	nc := filepath.Join(dir, "nc")
	code, stdout, stderr := runCLI(t, "export", out, "--netcdf", nc)
	if !h5.Available {
		if code != job.ExitError || !strings.Contains(stderr, "built without HDF5") {
			t.Errorf("nohdf5 export --netcdf: exit %d\n%s", code, stderr)
		}
		return
	}
	if code != 0 || !strings.Contains(stdout, "wrote 1 file(s)") {
		t.Fatalf("export --netcdf: exit %d\n%s\n%s", code, stdout, stderr)
	}
	task := "dim=4"
	got := runCheckNetCDF(t, filepath.Join(nc, task+".nc"), out, task, 400, 0, "dim=4", "sampler=nuts")
	if got != "ok configurations posterior sample_stats" {
		t.Errorf("groups: %s", got)
	}
	for _, args := range [][]string{{out}, {out, "--npy", "--netcdf", nc}} {
		if code, _, e := runCLI(t, append([]string{"export"}, args...)...); code != job.ExitUsage || !strings.Contains(e, "one of --npy or --netcdf") {
			t.Errorf("export %q: exit %d\n%s", args, code, e)
		}
	}

	ea := writeJob(t, dir, "ea.toml", "seed = 5\n[model]\nkind = \"ea\"\ndim = 2\nL = 4\nsample = [0, 1]\n[sampler]\nkind = \"pt\"\nbeta_min = 0.5\nbeta_max = 1.5\nrungs = 3\nchains = 2\nthermalize = 50\nsweeps = 200\nmeasure_every = 2\n")
	out = filepath.Join(dir, "ea")
	if code, _, e := runCLI(t, "run", ea, "--out", out, "--progress", "none"); code != 0 {
		t.Fatal(e)
	}
	if code, stdout, e := runCLI(t, "export", out, "--netcdf", nc); code != 0 || !strings.Contains(stdout, "wrote 2 file(s)") {
		t.Fatalf("export --netcdf: exit %d\n%s\n%s", code, stdout, e)
	}
	got = runCheckNetCDF(t, filepath.Join(nc, "dim=2_L=4_sample=1.nc"), out, "dim=2_L=4_sample=1", 100, 0, "sample=1")
	if got != "ok constant_data posterior sample_stats" {
		t.Errorf("groups: %s", got)
	}
}
