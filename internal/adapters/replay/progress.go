package replay

import "io"

// progressReader reports how much of the input was read, at most once per reportEvery bytes.
type progressReader struct {
	r      io.Reader
	done   int64
	total  int64
	next   int64
	report func(done, total int64)
}

const reportEvery = 1 << 20

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.done += int64(n)
	if p.done >= p.next || err != nil {
		p.next = p.done + reportEvery
		p.report(p.done, p.total)
	}
	return n, err
}
