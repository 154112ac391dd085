package reports

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The page is one file: every reference to another resource would make it
// load something (a script, a stylesheet, an image, a font).
func TestHTMLSelfContained(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	r := sampleReport(t)
	r.Modes[1].Warnings = []string{`a <b>bold</b> & "quoted" warning`}
	if err := WriteHTML(&b, r); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	for _, bad := range []*regexp.Regexp{
		regexp.MustCompile(`(?i)<script`), regexp.MustCompile(`(?i)<link`), regexp.MustCompile(`(?i)<img`),
		regexp.MustCompile(`(?i)<iframe`), regexp.MustCompile(`(?i)\b(src|href)\s*=`), regexp.MustCompile(`(?i)url\(`),
		regexp.MustCompile(`(?i)@import`), regexp.MustCompile(`<\?xml`),
	} {
		if loc := bad.FindStringIndex(page); loc != nil {
			t.Errorf("page refers to another resource: %q", page[max(0, loc[0]-40):min(len(page), loc[1]+40)])
		}
	}
	// The only URLs are the SVG namespaces, which are names, not fetches.
	for _, u := range regexp.MustCompile(`https?://[^"'\s<>]+`).FindAllString(page, -1) {
		if u != "http://www.w3.org/2000/svg" && u != "http://www.w3.org/1999/xlink" {
			t.Errorf("page contains URL %s", u)
		}
	}
	for _, want := range []string{
		"<title>poolbench report: quick</title>",
		`<p class="summary" id="summary"><code>per-request</code> clients opened 2,000`,
		"<th>per-request / singleton</th>",
		"<td>250.00x</td>",
		"singleton: a &lt;b&gt;bold&lt;/b&gt; &amp; &#34;quoted&#34; warning",
		`<svg role="img" aria-label="Latency by percentile, one line per mode" style="width:100%;height:auto"`,
		"<td>Test CPU @ 2.00GHz</td>",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if got := strings.Count(page, "<svg"); got != 2 {
		t.Errorf("page has %d inline SVGs, want 2", got)
	}
}

// chromium is the browser the screenshot check drives: $POOLBENCH_CHROMIUM
// or Debian's /usr/bin/chromium.
func chromium(t *testing.T) string {
	t.Helper()
	path := os.Getenv("POOLBENCH_CHROMIUM")
	if path == "" {
		path = "/usr/bin/chromium"
	}
	if _, err := os.Stat(path); err != nil {
		t.Skipf("no headless browser at %s (apt-get install -y chromium, or set POOLBENCH_CHROMIUM): the HTML screenshot check did not run", path)
	}
	return path
}

// A real browser renders the page: the screenshot has the window's size,
// is not blank, and shows both modes' line colours and the bar colours,
// which only the inline SVG charts draw. POOLBENCH_SCREENSHOT=FILE keeps
// the screenshot.
func TestHTMLInChromium(t *testing.T) {
	bin := chromium(t)
	dir := t.TempDir()
	page := filepath.Join(dir, "report.html")
	var b bytes.Buffer
	if err := WriteHTML(&b, sampleReport(t)); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(page, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	shot := os.Getenv("POOLBENCH_SCREENSHOT")
	if shot == "" {
		shot = filepath.Join(dir, "screenshot.png")
	} else if abs, err := filepath.Abs(shot); err == nil {
		shot = abs
	}
	const w, h = 1100, 2600
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--no-first-run", "--hide-scrollbars", "--user-data-dir="+filepath.Join(dir, "profile"),
		"--screenshot="+shot, "--window-size=1100,2600", "file://"+page)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("chromium: %v\n%s", err, out)
	}
	f, err := os.Open(shot)
	if err != nil {
		t.Fatalf("no screenshot: %v\n%s", err, out)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if got := img.Bounds().Size(); got != (image.Point{w, h}) {
		t.Errorf("screenshot is %v, want %dx%d", got, w, h)
	}
	colours := map[color.RGBA]int{}
	bounds := img.Bounds()
	for y := bounds.Min.Y; y < bounds.Max.Y; y++ {
		for x := bounds.Min.X; x < bounds.Max.X; x++ {
			r, g, b, _ := img.At(x, y).RGBA()
			colours[color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8), 255}]++
		}
	}
	if len(colours) < 50 {
		t.Errorf("screenshot has %d distinct colours: blank or unstyled", len(colours))
	}
	for _, c := range []struct {
		name string
		rgb  color.RGBA
	}{
		{"per-request line (vermillion)", palette[0]},
		{"singleton line (blue)", palette[1]},
		{"handshake bars (orange)", color.RGBA{0xE6, 0x9F, 0x00, 0xff}},
	} {
		if n := colours[c.rgb]; n < 200 {
			t.Errorf("%s: %d pixels of %v, want at least 200 (the SVG chart did not render)", c.name, n, c.rgb)
		}
	}
	t.Logf("screenshot %s: %v, %d distinct colours", shot, img.Bounds().Size(), len(colours))
}
