//go:build !cgo || !(linux || darwin || freebsd)

package pluginfs

// cgoPlugins is false: without cgo (or on this OS) Go's plugin package is a stub.
const cgoPlugins = false
