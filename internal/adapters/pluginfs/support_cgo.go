//go:build cgo && (linux || darwin || freebsd)

package pluginfs

// cgoPlugins is true when the plugin package is the real one, not its "not implemented" stub.
const cgoPlugins = true
