package domain

// Verdict is a finding policy's decision about one finding.
type Verdict struct {
	// Suppress drops the finding before the outputs.
	Suppress bool
	// Reason explains a suppression (e.g. the policy rule that matched).
	Reason string
}
