package outbox

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/http"
	"net/mail"
	"regexp"
	"strings"
)

// SendEmailPath is where the SES v2 REST-JSON API takes SendEmail.
const SendEmailPath = "/v2/email/outbound-emails"

// maxMessageBytes is SES v2's message size limit (40 MB).
const maxMessageBytes = 40 << 20

// maxRecipients is SES's limit on recipients per message.
const maxRecipients = 50

type sesContent struct {
	Data    *string `json:"Data"`
	Charset *string `json:"Charset"`
}

type sendEmailRequest struct {
	FromEmailAddress *string `json:"FromEmailAddress"`
	Destination      *struct {
		ToAddresses  []string `json:"ToAddresses"`
		CcAddresses  []string `json:"CcAddresses"`
		BccAddresses []string `json:"BccAddresses"`
	} `json:"Destination"`
	ReplyToAddresses []string `json:"ReplyToAddresses"`
	Content          *struct {
		Simple *struct {
			Subject *sesContent `json:"Subject"`
			Body    *struct {
				Text *sesContent `json:"Text"`
				Html *sesContent `json:"Html"`
			} `json:"Body"`
			Attachments []struct {
				FileName    *string `json:"FileName"`
				ContentType *string `json:"ContentType"`
				RawContent  []byte  `json:"RawContent"`
			} `json:"Attachments"`
		} `json:"Simple"`
		Raw *struct {
			Data []byte `json:"Data"`
		} `json:"Raw"`
		Template json.RawMessage `json:"Template"`
	} `json:"Content"`
	EmailTags []struct {
		Name  string `json:"Name"`
		Value string `json:"Value"`
	} `json:"EmailTags"`
	ConfigurationSetName string `json:"ConfigurationSetName"`
}

// sesError is an error SES reports with a type and a status.
type sesError struct {
	status int
	typ    string
	msg    string
}

func (e *sesError) Error() string { return e.typ + ": " + e.msg }

func badRequest(format string, args ...any) *sesError {
	return &sesError{status: http.StatusBadRequest, typ: "BadRequestException", msg: fmt.Sprintf(format, args...)}
}

// SESHandler returns the SES v2 endpoint: it serves SendEmail
// (POST /v2/email/outbound-emails) as the real sesv2 client sends it with
// BaseEndpoint set to this server, with Simple or Raw content. Invalid
// requests get SES's error shape: a 400 with the x-amzn-ErrorType header
// and {"message": ...}, which the SDK turns into *types.BadRequestException.
func (o *Outbox) SESHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != SendEmailPath {
			writeSESError(w, &sesError{status: http.StatusNotFound, typ: "UnknownOperationException", msg: fmt.Sprintf("the local SES endpoint serves only SendEmail (POST %s), not %s %s", SendEmailPath, r.Method, r.URL.Path)})
			return
		}
		if r.Method != http.MethodPost {
			writeSESError(w, &sesError{status: http.StatusMethodNotAllowed, typ: "UnknownOperationException", msg: "SendEmail takes POST"})
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, maxMessageBytes*2))
		if err != nil {
			writeSESError(w, badRequest("read request: %v", err))
			return
		}
		m, err := parseSendEmail(body)
		if err != nil {
			var se *sesError
			if !errors.As(err, &se) {
				se = badRequest("%v", err)
			}
			writeSESError(w, se)
			return
		}
		stored := o.Add(m)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Amzn-Requestid", newUUID())
		_ = json.NewEncoder(w).Encode(map[string]string{"MessageId": stored.ID})
	})
}

func writeSESError(w http.ResponseWriter, e *sesError) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-ErrorType", e.typ)
	w.WriteHeader(e.status)
	_ = json.NewEncoder(w).Encode(map[string]string{"message": e.msg})
}

var tagRE2 = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)

// parseSendEmail validates a SendEmail request body as SES does and turns
// it into a Message.
func parseSendEmail(body []byte) (Message, error) {
	if len(body) > maxMessageBytes*4/3+4096 {
		return Message{}, &sesError{status: http.StatusBadRequest, typ: "MessageRejected", msg: "Message length is more than 40 MB"}
	}
	var req sendEmailRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&req); err != nil {
		return Message{}, badRequest("request body is not a SendEmail request: %v", err)
	}
	var m Message
	if req.Content == nil {
		return m, badRequest("Content is required")
	}
	kinds := 0
	for _, set := range []bool{req.Content.Simple != nil, req.Content.Raw != nil, len(req.Content.Template) > 0 && string(req.Content.Template) != "null"} {
		if set {
			kinds++
		}
	}
	if kinds != 1 {
		return m, badRequest("Content must have exactly one of Simple, Raw or Template")
	}
	if req.Content.Template != nil && string(req.Content.Template) != "null" {
		// Templates live in the SES account; the local endpoint has none.
		return m, badRequest("the local SES endpoint accepts Simple and Raw content, not Template")
	}
	if req.FromEmailAddress != nil {
		m.From = *req.FromEmailAddress
	}
	if d := req.Destination; d != nil {
		m.To, m.Cc, m.Bcc = d.ToAddresses, d.CcAddresses, d.BccAddresses
	}
	m.ReplyTo = req.ReplyToAddresses
	m.ConfigurationSet = req.ConfigurationSetName

	if s := req.Content.Simple; s != nil {
		if s.Subject == nil || s.Subject.Data == nil {
			return m, badRequest("Content.Simple.Subject.Data is required")
		}
		if s.Body == nil || (s.Body.Text == nil && s.Body.Html == nil) {
			return m, badRequest("Content.Simple.Body needs Text or Html")
		}
		for name, c := range map[string]*sesContent{"Subject": s.Subject, "Body.Text": bodyPart(s.Body, true), "Body.Html": bodyPart(s.Body, false)} {
			if c == nil {
				continue
			}
			if c.Data == nil {
				return m, badRequest("Content.Simple.%s.Data is required", name)
			}
			if c.Charset != nil && !knownCharset(*c.Charset) {
				return m, badRequest("Content.Simple.%s.Charset %q is not supported", name, *c.Charset)
			}
		}
		m.Subject = *s.Subject.Data
		if s.Body.Text != nil {
			m.Text = *s.Body.Text.Data
		}
		if s.Body.Html != nil {
			m.HTML = *s.Body.Html.Data
		}
		for i, a := range s.Attachments {
			if a.FileName == nil || *a.FileName == "" || a.RawContent == nil {
				return m, badRequest("Content.Simple.Attachments[%d] needs FileName and RawContent", i)
			}
			ct := "application/octet-stream"
			if a.ContentType != nil && *a.ContentType != "" {
				ct = *a.ContentType
			}
			m.Attachments = append(m.Attachments, newAttachment(*a.FileName, ct, a.RawContent))
		}
	} else {
		raw, err := parseRaw(req.Content.Raw.Data)
		if err != nil {
			return m, &sesError{status: http.StatusBadRequest, typ: "MessageRejected", msg: err.Error()}
		}
		m.Subject, m.Text, m.HTML = raw.subject, raw.text, raw.html
		if m.From == "" {
			m.From = raw.from
		}
		if req.Destination == nil {
			// SES sends a raw message to the recipients in its headers
			// when the request names none.
			m.To, m.Cc = raw.to, raw.cc
		}
	}

	if m.From == "" {
		return m, badRequest("FromEmailAddress is required")
	}
	if _, err := mail.ParseAddress(m.From); err != nil {
		return m, badRequest("Illegal address in FromEmailAddress: %q", m.From)
	}
	total := len(m.To) + len(m.Cc) + len(m.Bcc)
	if total == 0 {
		return m, badRequest("Destination needs at least one recipient")
	}
	if total > maxRecipients {
		return m, &sesError{status: http.StatusBadRequest, typ: "MessageRejected", msg: fmt.Sprintf("Recipient count exceeds %d", maxRecipients)}
	}
	for field, list := range map[string][]string{"ToAddresses": m.To, "CcAddresses": m.Cc, "BccAddresses": m.Bcc, "ReplyToAddresses": m.ReplyTo} {
		for _, a := range list {
			if _, err := mail.ParseAddress(a); err != nil {
				return m, badRequest("Illegal address in %s: %q", field, a)
			}
		}
	}
	for _, tag := range req.EmailTags {
		if !tagRE2.MatchString(tag.Name) || !tagRE2.MatchString(tag.Value) {
			return m, badRequest("EmailTags: name and value must be 1-256 characters of A-Z a-z 0-9 _ - (got %q=%q)", tag.Name, tag.Value)
		}
		if m.Tags == nil {
			m.Tags = map[string]string{}
		}
		m.Tags[tag.Name] = tag.Value
	}
	return m, nil
}

func bodyPart(b *struct {
	Text *sesContent `json:"Text"`
	Html *sesContent `json:"Html"`
}, text bool) *sesContent {
	if text {
		return b.Text
	}
	return b.Html
}

func knownCharset(cs string) bool {
	switch strings.ToLower(cs) {
	case "utf-8", "utf8", "us-ascii", "ascii", "iso-8859-1", "latin1":
		return true
	}
	return false
}

type rawMessage struct {
	from, subject, text, html string
	to, cc                    []string
}

// parseRaw reads a raw MIME message: From, To, Cc, Subject (RFC 2047
// words decoded) and the first text/plain and text/html parts, through
// multipart/alternative, mixed and related, with base64 and
// quoted-printable transfer encodings.
func parseRaw(data []byte) (rawMessage, error) {
	var out rawMessage
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		return out, fmt.Errorf("raw message: %w", err)
	}
	dec := new(mime.WordDecoder)
	decode := func(s string) string {
		if d, err := dec.DecodeHeader(s); err == nil {
			return d
		}
		return s
	}
	out.subject = decode(msg.Header.Get("Subject"))
	out.from = decode(msg.Header.Get("From"))
	for _, h := range []struct {
		name string
		dst  *[]string
	}{{"To", &out.to}, {"Cc", &out.cc}} {
		if msg.Header.Get(h.name) == "" {
			continue
		}
		list, err := msg.Header.AddressList(h.name)
		if err != nil {
			return out, fmt.Errorf("raw message: %s: %w", h.name, err)
		}
		for _, a := range list {
			*h.dst = append(*h.dst, a.String())
		}
	}
	if err := walkPart(msg.Header, msg.Body, &out, 0); err != nil {
		return out, fmt.Errorf("raw message: %w", err)
	}
	return out, nil
}

// header is what walkPart needs of a message's or a part's header.
type header interface{ Get(string) string }

func walkPart(h header, body io.Reader, out *rawMessage, depth int) error {
	if depth > 10 {
		return errors.New("MIME parts nested too deep")
	}
	ct := h.Get("Content-Type")
	if ct == "" {
		ct = "text/plain"
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil {
		return fmt.Errorf("Content-Type %q: %w", ct, err)
	}
	if strings.HasPrefix(mt, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextRawPart()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
			if err := walkPart(p.Header, p, out, depth+1); err != nil {
				return err
			}
		}
	}
	if mt != "text/plain" && mt != "text/html" {
		return nil // attachments and images are kept out of the outbox
	}
	if disp, _, _ := mime.ParseMediaType(h.Get("Content-Disposition")); disp == "attachment" {
		return nil
	}
	var r io.Reader = body
	switch strings.ToLower(h.Get("Content-Transfer-Encoding")) {
	case "base64":
		// The decoder skips the line breaks of MIME base64.
		r = base64.NewDecoder(base64.StdEncoding, body)
	case "quoted-printable":
		r = quotedprintable.NewReader(body)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return fmt.Errorf("%s part: %w", mt, err)
	}
	if mt == "text/plain" && out.text == "" {
		out.text = string(b)
	}
	if mt == "text/html" && out.html == "" {
		out.html = string(b)
	}
	return nil
}
