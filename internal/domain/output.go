package domain

import "errors"

// ErrEventRejected is wrapped by a sink's Write when one event cannot be written (it does not
// encode, say) while the output itself is fine: the event is counted, the output stays open.
// Any other Write or Flush error means the output is broken and it is closed.
var ErrEventRejected = errors.New("event rejected by the output")
