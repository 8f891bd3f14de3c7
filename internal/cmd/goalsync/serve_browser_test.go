package main

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/accessibility"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/dom"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/perfcopilot/asanagoals/internal/asanafake"
)

// updateScreenshots writes the browser test's screenshots into the
// repository (docs/images), where the README shows them.
var updateScreenshots = flag.Bool("update-screenshots", false, "write the admin pages' screenshots to docs/images")

// chromiumPath finds Debian's chromium. Under CI the browser test must
// run: .ci/run installs it.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("no chromium on PATH: CI must run the browser test (.ci/run installs Debian's chromium)")
	}
	t.Skip("no chromium on PATH; .ci/run installs it (apt-get install chromium)")
	return ""
}

// byRole finds elements the way a person (and a screen reader) does: by
// their role and accessible name, through Chromium's accessibility tree.
func byRole(role, name string) chromedp.QueryOption {
	return chromedp.ByFunc(func(ctx context.Context, t *chromedp.Target, n *chromedp.Node) ([]cdp.NodeID, error) {
		res, err := cdp.Call(ctx, t, accessibility.QueryAXTree, accessibility.QueryAXTreeParams{
			NodeID: n.NodeID, AccessibleName: name, Role: role})
		if err != nil {
			return nil, err
		}
		var backend []cdp.BackendNodeID
		for _, ax := range res.Nodes {
			if !ax.Ignored && ax.BackendDOMNodeID != 0 {
				backend = append(backend, ax.BackendDOMNodeID)
			}
		}
		if len(backend) == 0 {
			return nil, nil
		}
		pushed, err := cdp.Call(ctx, t, dom.PushNodesByBackendIDsToFrontend, dom.PushNodesByBackendIDsToFrontendParams{BackendNodeIDs: backend})
		return pushed.NodeIDs, err
	})
}

// browser is one headless Chromium tab on the served pages.
type browser struct {
	t       *testing.T
	ctx     context.Context
	dialogs atomic.Int32
	shots   []string
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath(t)), chromedp.NoSandbox, chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-gpu", true), chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.WindowSize(1280, 900))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	ctx, cancelTime := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() { cancelTime(); cancelTab(); cancelAlloc() })
	b := &browser{t: t, ctx: ctx}
	// A dialog is a script the pages ran: none may ever open. It is
	// dismissed so that the tab does not hang on it.
	err := chromedp.Listen(ctx, func(ev any) {
		if _, ok := ev.(*page.EventJavascriptDialogOpening); ok {
			b.dialogs.Add(1)
			go chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// do runs steps, failing the test with what was being done.
func (b *browser) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	defer b.took(what, time.Now())
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.shot("failed-" + strings.ReplaceAll(what, " ", "-"))
		b.t.Fatalf("%s: %v\npage text:\n%s", what, err, b.text())
	}
}

// took logs a step that took long.
func (b *browser) took(what string, start time.Time) {
	if d := time.Since(start); d > 2*time.Second {
		b.t.Logf("%s took %s", what, d.Round(time.Millisecond))
	}
}

// text is the page's visible text.
func (b *browser) text() string {
	s, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
	return s
}

// html is the whole DOM, with every field's current value.
func (b *browser) html() string {
	s, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](
		`document.documentElement.outerHTML + "\n" + Array.from(document.querySelectorAll("input,select,textarea")).map(e => e.value).join("\n")`))
	return s
}

// waitText waits until the page's text holds want.
func (b *browser) waitText(want string) {
	b.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if strings.Contains(b.text(), want) {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	b.shot("failed-wait")
	b.t.Fatalf("the page never showed %q; it shows:\n%s", want, b.text())
}

// fill types v into the field labelled label, after clearing it.
func (b *browser) fill(label, v string) {
	b.t.Helper()
	b.do("fill "+label, chromedp.Clear("", byRole("textbox", label)), chromedp.SendKeys("", v, byRole("textbox", label)))
}

// click presses the element of role and name (a link or a form's
// button), and waits for the page it loads.
func (b *browser) click(role, name string) {
	b.t.Helper()
	defer b.took("click "+name, time.Now())
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if _, err := chromedp.RunResponse(ctx, chromedp.Click("", byRole(role, name))); err != nil {
		b.shot("failed-click")
		b.t.Fatalf("click %s %q: %v\npage text:\n%s", role, name, err, b.text())
	}
}

// shot keeps a screenshot of the page as a test artefact, and in
// docs/images with -update-screenshots.
func (b *browser) shot(name string) {
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
		return
	}
	dirs := []string{b.t.ArtifactDir()}
	if *updateScreenshots && !strings.HasPrefix(name, "failed") {
		dirs = append(dirs, filepath.Join("..", "..", "..", "docs", "images"))
	}
	for _, dir := range dirs {
		if err := os.WriteFile(filepath.Join(dir, "admin-"+name+".png"), png, 0o644); err != nil {
			b.t.Errorf("keep screenshot %s: %v", name, err)
		}
	}
	b.shots = append(b.shots, name)
}

// The whole Connecting flow of the spec, done as a person does it in a
// real browser on `goalsync -serve`'s demo: sign in with the printed
// code, connect (a wrong token first), map employees, sync, read goals;
// then a hostile goal name and a cross-origin post.
func TestServe_inABrowser(t *testing.T) {
	b := newBrowser(t)
	login := startServe(t)
	base := login[:strings.Index(login, "/?code=")]

	// 1. The code signs in, and leaves the URL.
	b.do("open the printed URL", chromedp.Navigate(login), chromedp.WaitReady(chromedp.CSS("body")))
	if loc, _ := chromedp.Run(b.ctx, chromedp.Location()); strings.Contains(loc, "code=") {
		t.Errorf("the login code stays in the URL: %s", loc)
	}
	b.waitText("Not connected yet")

	// 2. A wrong token: the error shows, and the token is in no field or
	// node of the page.
	wrong := "2/1209000000000199/1209000000000999:not0the0right0secret0zz"
	b.fill("Personal Access Token", wrong)
	b.fill("Workspace GID", asanafake.DemoWorkspaceGID)
	b.click("button", "Save")
	b.waitText("Asana refused the token")
	if dom := b.html(); strings.Contains(dom, "not0the0right0secret") {
		t.Errorf("the refused token is in the page's DOM")
	}

	// 3. The right token and GID, saved.
	b.fill("Personal Access Token", asanafake.DemoToken)
	b.fill("Workspace GID", asanafake.DemoWorkspaceGID)
	b.click("button", "Save")
	b.waitText("A token is set, belonging to Asana user PerfCopilot service account")
	if strings.Contains(b.html(), "demo0fake0token") {
		t.Errorf("the saved token is in the page's DOM")
	}
	b.shot("connection")

	// 4. One suggested mapping confirmed, one GID by hand, a wrong one
	// refused.
	b.click("link", "Employees")
	b.waitText("Unmapped employees")
	b.shot("employees")
	b.click("button", "Confirm Margaret Hamilton for Margaret Hamilton")
	b.waitText("The mapping was saved")
	b.fill("Asana user GID for Rear Admiral G. Hopper", "1209000000009999")
	b.click("button", "Save the GID for Rear Admiral G. Hopper")
	b.waitText("No user of this workspace has GID 1209000000009999")
	b.fill("Asana user GID for Rear Admiral G. Hopper", "1209000000000102")
	b.click("button", "Save the GID for Rear Admiral G. Hopper")
	b.waitText("Every employee is mapped")
	if txt := b.text(); !strings.Contains(txt, "Grace Hopper") || !strings.Contains(txt, "Margaret Hamilton") {
		t.Errorf("the mapped employees do not show their Asana users:\n%s", txt)
	}

	// 5. Sync now: progress, then a report with a failed employee.
	b.click("link", "Sync")
	b.click("button", "Sync now")
	b.waitText("A sync is running")
	b.shot("sync-running")
	b.waitText("Last sync")
	if txt := b.text(); !strings.Contains(txt, "Failed:") || !strings.Contains(txt, "emp-003") {
		t.Errorf("the report shows no failed employee:\n%s", txt)
	}
	b.shot("sync")

	// 6 and 7. The Goals tab of a mapped employee: goals, Key Results,
	// and a hostile name that stays text.
	b.click("link", "Goals")
	b.do("choose Ada", chromedp.SetValue("", "emp-001", byRole("combobox", "Employee")))
	b.click("button", "Show goals")
	b.waitText("Goals of Ada Lovelace")
	for _, want := range []string{"Cut p95 API latency to 200 ms", "Key Results", "Cache the five hottest endpoints",
		"<img src=x onerror=alert(1)>", "Our slowest endpoints cost us deals."} {
		if !strings.Contains(b.text(), want) {
			t.Errorf("the Goals tab lacks %q:\n%s", want, b.text())
		}
	}
	if n, _ := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.querySelectorAll("img, script").length`)); n != 0 {
		t.Errorf("a goal's name became %d img or script elements", n)
	}
	b.shot("goals")
	if n := b.dialogs.Load(); n != 0 {
		t.Errorf("%d script dialogs opened", n)
	}

	// 8. A form on another origin that posts to the pages is refused, and
	// changes nothing.
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `<!doctype html><title>Elsewhere</title><form method="post" action="%s/connection">
<input type="hidden" name="workspace_gid" value="1"><input type="hidden" name="rate" value="150">
<button name="action" value="save">Win a prize</button></form>`, base)
	}))
	defer evil.Close()
	b.do("open another origin", chromedp.Navigate(evil.URL), chromedp.WaitReady(chromedp.CSS("body")))
	resp, err := chromedp.RunResponse(b.ctx, chromedp.Click("", byRole("button", "Win a prize")))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != http.StatusForbidden {
		t.Errorf("a cross-origin post answered %d, want 403", resp.Status)
	}
	b.do("back to the pages", chromedp.Navigate(base+"/connection"), chromedp.WaitReady(chromedp.CSS("body")))
	if txt := b.text(); !strings.Contains(txt, "Workspace GID\n"+asanafake.DemoWorkspaceGID) || !strings.Contains(txt, "1500 requests a minute") {
		t.Errorf("the cross-origin post changed the connection:\n%s", txt)
	}
}
