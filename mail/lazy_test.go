package mail_test

import (
	"sync"
	"testing"

	"refundflow/mail"
)

// TestConcurrentFirstRenders renders every sample from several goroutines at once right after the
// parsed templates were forgotten, so the lazy first parse is shared under -race, and checks that
// each render equals the sequential one.
func TestConcurrentFirstRenders(t *testing.T) {
	r := renderer(t)
	want := map[string]mail.Message{}
	for _, s := range samples() {
		msg, err := r.Render(s.kind, s.data)
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		want[s.name] = msg
	}
	mail.ForgetParsedTemplates()
	t.Cleanup(mail.ForgetParsedTemplates)
	var wg sync.WaitGroup
	for i := 0; i < 3; i++ {
		for _, s := range samples() {
			wg.Add(1)
			go func() {
				defer wg.Done()
				msg, err := r.Render(s.kind, s.data)
				if err != nil {
					t.Errorf("%s: %v", s.name, err)
					return
				}
				if w := want[s.name]; msg.Subject != w.Subject || msg.Text != w.Text || msg.HTML != w.HTML {
					t.Errorf("%s: a concurrent first render differs from the sequential one", s.name)
				}
			}()
		}
	}
	wg.Wait()
}
