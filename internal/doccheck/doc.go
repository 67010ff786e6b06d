// Package doccheck holds the test that every relative link in the
// repository's Markdown files resolves: the file exists, and a #fragment
// names a heading of the file it points to.
package doccheck
