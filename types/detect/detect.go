// Package detect is the public API of the detection engine: the Signature interface that plugin
// authors implement and the types they exchange with the engine. It is source-compatible with
// Tracee's types/detect (v0.24): a Tracee signature compiles against it by changing the import prefix.
package detect

import (
	"errors"

	"github.com/seed-428f5ad7/tracee/types/protocol"
)

// Signature is one detection rule.
type Signature interface {
	// GetMetadata describes the signature: ID, event name, severity and so on.
	GetMetadata() (SignatureMetadata, error)
	// GetSelectedEvents names the events the signature wants to see.
	GetSelectedEvents() ([]SignatureEventSelector, error)
	// Init prepares the signature; ctx.Callback reports findings.
	Init(ctx SignatureContext) error
	// Close releases what Init acquired.
	Close()
	// OnEvent is called for every selected event.
	OnEvent(event protocol.Event) error
	// OnSignal delivers lifecycle signals such as SignalSourceComplete.
	OnSignal(signal Signal) error
}

// SignatureContext is what the engine hands a signature at Init.
type SignatureContext struct {
	Callback      SignatureHandler
	Logger        Logger
	GetDataSource func(namespace string, id string) (DataSource, bool)
}

// SignatureMetadata describes a signature. Properties conventionally carry "Severity" (0-4),
// "Category", "Technique" and "external_id" (the MITRE ATT&CK technique ID).
type SignatureMetadata struct {
	ID          string
	Version     string
	Name        string
	EventName   string
	Description string
	Tags        []string
	Properties  map[string]interface{}
}

// SignatureEventSelector selects events by source, name and origin; "*" matches anything.
type SignatureEventSelector struct {
	Source string
	Name   string
	Origin string
}

// SignatureHandler receives the findings of a signature.
type SignatureHandler func(found *Finding)

// Signal is a lifecycle notification for a signature.
type Signal interface{}

// SignalSourceComplete tells a signature that the named input source has ended.
type SignalSourceComplete string

// Logger is the structured logger injected into signatures.
type Logger interface {
	Debugw(format string, v ...interface{})
	Infow(format string, v ...interface{})
	Warnw(format string, v ...interface{})
	Errorw(format string, v ...interface{})
}

// DataSource is a read-only source of enrichment data a signature can query.
type DataSource interface {
	// Get returns the data for key, ErrDataNotFound or ErrKeyNotSupported.
	Get(interface{}) (map[string]interface{}, error)
	// Version of the data schema; incremented on breaking changes.
	Version() uint
	// Keys names the key types Get accepts.
	Keys() []string
	// Schema is the JSON schema of Get's results.
	Schema() string
	// Namespace avoids ID collisions between providers.
	Namespace() string
	// ID names the data source within its namespace.
	ID() string
}

// Errors a DataSource returns.
var (
	ErrDataNotFound      = errors.New("requested data was not found")
	ErrKeyNotSupported   = errors.New("queried key is not supported")
	ErrFailedToUnmarshal = errors.New("given value could not be unmarshaled")
)

// WriteableDataSource is a DataSource that also accepts writes.
type WriteableDataSource interface {
	DataSource
	// Write stores values under keys; ErrKeyNotSupported or ErrFailedToUnmarshal on bad input.
	Write(data map[interface{}]interface{}) error
	// Values names the value types Write accepts.
	Values() []string
}
