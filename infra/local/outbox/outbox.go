// Package outbox is the local stand-in for Amazon SES v2: an endpoint that
// accepts SendEmail from the real sesv2 client and keeps every message in
// an in-memory outbox, plus pages (HTML and JSON) where people and tests
// read what was sent and follow its links.
package outbox

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html"
	"regexp"
	"strings"
	"sync"
	"time"
)

// Message is one sent email.
type Message struct {
	// ID is the MessageId SendEmail returned.
	ID string `json:"id"`
	// From is FromEmailAddress (or the raw message's From).
	From string `json:"from"`
	// To lists the To recipients.
	To []string `json:"to"`
	// Cc lists the Cc recipients.
	Cc []string `json:"cc,omitempty"`
	// Bcc lists the Bcc recipients.
	Bcc []string `json:"bcc,omitempty"`
	// ReplyTo lists ReplyToAddresses.
	ReplyTo []string `json:"replyTo,omitempty"`
	// Subject is the subject line.
	Subject string `json:"subject"`
	// Text is the plain-text body.
	Text string `json:"text"`
	// HTML is the HTML body.
	HTML string `json:"html"`
	// Links lists every http(s) URL in the text and HTML bodies (hrefs and
	// bare URLs), de-duplicated, in order of appearance, text first.
	Links []string `json:"links"`
	// Tags holds EmailTags by name.
	Tags map[string]string `json:"tags,omitempty"`
	// ConfigurationSet is ConfigurationSetName.
	ConfigurationSet string `json:"configurationSet,omitempty"`
	// SentAt is when the outbox accepted the message.
	SentAt time.Time `json:"sentAt"`
	// Attachments are the files sent with it (Simple content's Attachments, or the attachment parts of
	// Raw content), each served at its URL.
	Attachments []Attachment `json:"attachments,omitempty"`
}

// Attachment is one file of a message.
type Attachment struct {
	// FileName and ContentType are as sent.
	FileName    string `json:"fileName"`
	ContentType string `json:"contentType"`
	// Size is the file's length in bytes and SHA256 its hex SHA-256.
	Size   int    `json:"size"`
	SHA256 string `json:"sha256"`
	// URL is where the outbox serves it: PagePath + "/attachments/<message id>/<index>".
	URL string `json:"url"`
	// Data is the file. The JSON list leaves it out (the URL serves it); the local stack's saved state
	// keeps it.
	Data []byte `json:"data,omitempty"`
}

// newAttachment describes a file; Add gives it its URL.
func newAttachment(name, contentType string, data []byte) Attachment {
	sum := sha256.Sum256(data)
	return Attachment{FileName: name, ContentType: contentType, Size: len(data), SHA256: hex.EncodeToString(sum[:]), Data: data}
}

// attachmentURL is where the outbox serves attachment i of message id.
func attachmentURL(id string, i int) string {
	return fmt.Sprintf("%s/attachments/%s/%d", PagePath, id, i)
}

// Outbox keeps sent messages. It is safe for concurrent use.
type Outbox struct {
	// Now is the clock for SentAt (default time.Now); the local stack
	// passes its adjustable clock.
	Now func() time.Time

	mu      sync.Mutex
	msgs    []Message
	changed chan struct{} // closed and replaced whenever a message is added
	changes uint64        // see Changes
}

// New returns an empty outbox.
func New() *Outbox {
	return &Outbox{changed: make(chan struct{})}
}

// Add stores a message as sent: it gets an ID (unless it has one), SentAt
// and its Links. It returns the stored message.
func (o *Outbox) Add(m Message) Message {
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	if m.ID == "" {
		m.ID = newMessageID(now())
	}
	m.SentAt = now()
	m.Links = ExtractLinks(m.Text, m.HTML)
	for i := range m.Attachments {
		m.Attachments[i].URL = attachmentURL(m.ID, i)
	}
	o.mu.Lock()
	o.msgs = append(o.msgs, m)
	o.changes++
	close(o.changed)
	o.changed = make(chan struct{})
	o.mu.Unlock()
	return m
}

// Restore replaces the outbox's messages with msgs, exactly as they are
// (IDs, SentAt and Links kept): the local stack's data directory brings back
// the emails of an earlier run, so that their links can still be followed.
func (o *Outbox) Restore(msgs []Message) {
	o.mu.Lock()
	o.msgs = append([]Message(nil), msgs...)
	o.changes++
	close(o.changed)
	o.changed = make(chan struct{})
	o.mu.Unlock()
}

// Changes returns a number that grows whenever the messages change (Add,
// Reset, Restore), so that a caller saving the outbox can tell whether it
// has anything new to save.
func (o *Outbox) Changes() uint64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.changes
}

// Messages returns every message in the order they were sent.
func (o *Outbox) Messages() []Message {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]Message(nil), o.msgs...)
}

// Reset empties the outbox.
func (o *Outbox) Reset() {
	o.mu.Lock()
	o.msgs = nil
	o.changes++
	o.mu.Unlock()
}

// Wait returns the first message, already sent or still to come, for which
// match returns true. It blocks until such a message arrives or ctx ends.
// match runs without the outbox's lock held, so it may call Messages.
func (o *Outbox) Wait(ctx context.Context, match func(Message) bool) (Message, error) {
	seen := 0
	for {
		o.mu.Lock()
		if seen > len(o.msgs) {
			seen = 0 // Reset happened
		}
		fresh := append([]Message(nil), o.msgs[seen:]...)
		seen = len(o.msgs)
		ch := o.changed
		o.mu.Unlock()
		for _, m := range fresh {
			if match(m) {
				return m, nil
			}
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return Message{}, ctx.Err()
		}
	}
}

// newMessageID makes an ID shaped like SES's
// ("0100018e3f0a1b2c-1f2e3d4c-....-000000").
func newMessageID(now time.Time) string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	h := hex.EncodeToString(b)
	return fmt.Sprintf("0100%012x-%s-%s-%s-%s-%s-000000", now.UnixMilli()&0xffffffffffff, h[:8], h[8:12], h[12:16], h[16:20], h[20:])
}

var (
	hrefRE = regexp.MustCompile(`(?i)\bhref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))`)
	tagRE  = regexp.MustCompile(`(?s)<!--.*?-->|<[^>]*>`)
	urlRE  = regexp.MustCompile(`(?i)\bhttps?://[^\s<>"'\x60]+`)
)

// ExtractLinks returns every http(s) URL in a text body and an HTML body:
// bare URLs in the text, then hrefs and bare URLs in the HTML (entities
// decoded), without duplicates, in order.
func ExtractLinks(text, htmlBody string) []string {
	var out []string
	seen := map[string]bool{}
	add := func(u string) {
		u = strings.TrimSpace(u)
		lower := strings.ToLower(u)
		if !strings.HasPrefix(lower, "http://") && !strings.HasPrefix(lower, "https://") {
			return
		}
		if !seen[u] {
			seen[u] = true
			out = append(out, u)
		}
	}
	bare := func(s string) {
		for _, u := range urlRE.FindAllString(s, -1) {
			add(trimURL(u))
		}
	}
	bare(text)
	for _, m := range hrefRE.FindAllStringSubmatch(htmlBody, -1) {
		add(html.UnescapeString(m[1] + m[2] + m[3]))
	}
	bare(html.UnescapeString(tagRE.ReplaceAllString(htmlBody, " ")))
	return out
}

// trimURL drops punctuation that ends a sentence rather than the URL, and
// a closing parenthesis or bracket that has no opening one in the URL.
func trimURL(u string) string {
	for {
		n := len(u)
		u = strings.TrimRight(u, ".,;:!?")
		for _, pair := range []string{"()", "[]"} {
			if strings.HasSuffix(u, pair[1:]) && strings.Count(u, pair[:1]) < strings.Count(u, pair[1:]) {
				u = u[:len(u)-1]
			}
		}
		if len(u) == n {
			return u
		}
	}
}

func newUUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
