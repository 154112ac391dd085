package main

import (
	"io"
	"os"
	"sync"

	"github.com/mattn/go-isatty"
	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
)

// progress draws one bar per client mode on a terminal. It exists only
// when the output is a terminal and --quiet is not set; otherwise
// newProgress returns nil and the run prints nothing on stderr for it.
type progress struct {
	p *mpb.Progress

	mu   sync.Mutex // guards bars and cur: update runs on the harness's progress goroutine, finish on the caller's
	bars map[string]*mpb.Bar
	cur  string
}

// newProgress returns a progress display on w, or nil when quiet or when w
// is not a terminal (a file, a pipe, CI logs). mpb would also stay silent
// on a non-terminal; checking first costs nothing and starts no goroutine.
func newProgress(w io.Writer, quiet bool) *progress {
	if quiet || !isTerminal(w) {
		return nil
	}
	return &progress{
		p:    mpb.New(mpb.WithOutput(w), mpb.WithWidth(40)),
		bars: map[string]*mpb.Bar{},
	}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}

// update is a harness.Config.OnProgress: it starts the bar of a mode on
// its first report and completes the previous mode's.
func (p *progress) update(mode string, done, total int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	b, ok := p.bars[mode]
	if !ok {
		if prev := p.bars[p.cur]; prev != nil {
			prev.SetTotal(-1, true)
		}
		b = p.newBar(mode, total)
		p.bars[mode] = b
		p.cur = mode
	}
	b.SetCurrent(done)
}

func (p *progress) newBar(mode string, total int64) *mpb.Bar {
	name := decor.Name(mode, decor.WC{C: decor.DindentRight | decor.DextraSpace, W: 24})
	if total <= 0 { // only a duration bounds the mode: count, no bar
		return p.p.New(0, mpb.SpinnerStyle(),
			mpb.PrependDecorators(name, decor.CurrentNoUnit("%d requests")),
			mpb.AppendDecorators(decor.Elapsed(decor.ET_STYLE_GO)))
	}
	return p.p.New(total, mpb.BarStyle(),
		mpb.PrependDecorators(name, decor.CountersNoUnit("%d / %d", decor.WC{W: 16})),
		mpb.AppendDecorators(decor.Percentage(decor.WC{W: 5})))
}

// finish completes the last bar and waits for the display to draw it, so
// that the table printed next starts on a clean line. Safe on nil.
func (p *progress) finish() {
	if p == nil {
		return
	}
	p.mu.Lock()
	for _, b := range p.bars {
		if !b.Completed() {
			b.SetTotal(-1, true)
		}
	}
	p.mu.Unlock()
	p.p.Wait()
}
