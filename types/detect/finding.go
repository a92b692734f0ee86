package detect

import (
	"sync"

	"github.com/seed-428f5ad7/tracee/types/protocol"
)

// Finding is what a signature reports: the triggering event, the signature's metadata and any
// data the signature adds.
type Finding struct {
	dataLock sync.RWMutex
	// Data is kept exported for compatibility; use AddDataEntry, AddDataEntries and GetData,
	// which are safe for concurrent use.
	Data        map[string]interface{}
	Event       protocol.Event
	SigMetadata SignatureMetadata
}

// AddDataEntry sets one data entry.
func (f *Finding) AddDataEntry(key string, data interface{}) {
	f.dataLock.Lock()
	defer f.dataLock.Unlock()
	if f.Data == nil {
		f.Data = make(map[string]interface{}, 1)
	}
	f.Data[key] = data
}

// AddDataEntries sets several data entries, overwriting existing keys.
func (f *Finding) AddDataEntries(dataBatch map[string]interface{}) {
	f.dataLock.Lock()
	defer f.dataLock.Unlock()
	if f.Data == nil {
		f.Data = make(map[string]interface{}, len(dataBatch))
	}
	for k, v := range dataBatch {
		f.Data[k] = v
	}
}

// GetData returns a copy of the data entries (never nil).
func (f *Finding) GetData() map[string]interface{} {
	f.dataLock.RLock()
	defer f.dataLock.RUnlock()
	out := make(map[string]interface{}, len(f.Data))
	for k, v := range f.Data {
		out[k] = v
	}
	return out
}

// FindingDataStruct is implemented by structured finding data that can flatten itself.
type FindingDataStruct interface {
	ToMap() map[string]interface{}
}
