// Command mcflow samples Boltzmann distributions with Monte Carlo on every
// core and writes results that Python reads (NPY, HDF5, JSON). `mcflow
// help` lists its commands; package cli is its whole command line.
package main

import (
	"os"

	"github.com/mcflow/mcflow/cli"
)

func main() { os.Exit(cli.Main()) }
