package apigw

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"

	"refundflow/refund"
)

// Limits on what a request may carry. API Gateway itself accepts up to 10 MB; nothing Refundflow
// receives comes close, so a much smaller bound keeps a hostile body from costing memory and time.
const (
	// MaxBodyBytes is the largest decoded body Body, Form and DecodeJSON accept. The request form's
	// largest field (2000 characters of details, up to 4 bytes each, percent-encoded to 3 characters
	// per byte) fits with room to spare; so does an order with the maximum number of milestones.
	MaxBodyBytes = 256 << 10
	// MaxFormFields is the most name=value pairs Form accepts. Refundflow's forms have fewer than 15.
	MaxFormFields = 64
	// MaxUserAgentBytes bounds the user agent UserAgent returns, since it goes into audit entries.
	MaxUserAgentBytes = 512
)

// Method returns the request's HTTP method in upper case ("GET", "HEAD", "POST", ...).
func Method(req events.APIGatewayV2HTTPRequest) string {
	return strings.ToUpper(req.RequestContext.HTTP.Method)
}

// RequestID returns API Gateway's id for the request (requestContext.requestId). Error pages show it
// and error logs carry it, so staff can find the log line a client quotes.
func RequestID(req events.APIGatewayV2HTTPRequest) string {
	return req.RequestContext.RequestID
}

// Header returns the value of the named request header, or "" when it is absent. API Gateway
// lower-cases header names and joins repeated headers with commas; the lookup ignores case, so events
// built by other tools work too.
func Header(req events.APIGatewayV2HTTPRequest, name string) string {
	if v, ok := req.Headers[strings.ToLower(name)]; ok {
		return v
	}
	for k, v := range req.Headers {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}

// ClientIP returns the address of the client as API Gateway saw the connection
// (requestContext.http.sourceIp). X-Forwarded-For is deliberately ignored: its first entries are
// whatever the client chose to send, and the audit trail must not record a forged address.
func ClientIP(req events.APIGatewayV2HTTPRequest) string {
	return req.RequestContext.HTTP.SourceIP
}

// UserAgent returns the client's user agent (requestContext.http.userAgent, else the User-Agent
// header), cut to MaxUserAgentBytes at a character boundary because it is stored in audit entries.
func UserAgent(req events.APIGatewayV2HTTPRequest) string {
	ua := req.RequestContext.HTTP.UserAgent
	if ua == "" {
		ua = Header(req, "user-agent")
	}
	if len(ua) <= MaxUserAgentBytes {
		return ua
	}
	cut := MaxUserAgentBytes
	for cut > 0 && !utf8.RuneStart(ua[cut]) {
		cut--
	}
	return ua[:cut]
}

// Cookie returns the value of the named cookie and whether it was sent. Payload 2.0 puts cookies in the
// event's cookies list (one "name=value" each); an entry holding several pairs separated by "; " and a
// Cookie header (when the list is empty) are understood too. The first cookie with the name wins, as
// browsers send the most specific one first. Malformed entries are skipped, not fatal.
func Cookie(req events.APIGatewayV2HTTPRequest, name string) (string, bool) {
	lines := req.Cookies
	if len(lines) == 0 {
		if h := Header(req, "cookie"); h != "" {
			lines = []string{h}
		}
	}
	for _, line := range lines {
		for _, part := range strings.Split(line, ";") {
			cookies, err := http.ParseCookie(strings.TrimSpace(part))
			if err != nil {
				continue
			}
			for _, c := range cookies {
				if c.Name == name {
					return c.Value, true
				}
			}
		}
	}
	return "", false
}

// JWTClaims returns the claims API Gateway's JWT authorizer verified (requestContext.authorizer.jwt
// .claims), or nil when the route has no JWT authorizer.
func JWTClaims(req events.APIGatewayV2HTTPRequest) map[string]string {
	a := req.RequestContext.Authorizer
	if a == nil || a.JWT == nil {
		return nil
	}
	return a.JWT.Claims
}

// ClaimList returns a list-valued JWT claim such as "cognito:groups" as its items. API Gateway hands
// array claims to Lambda flattened into one string, "[staff admin]"; a JSON array ('["staff","admin"]')
// and a comma- or space-separated list are read as well, so the local gateway may use any of them.
func ClaimList(req events.APIGatewayV2HTTPRequest, name string) []string {
	v := strings.TrimSpace(JWTClaims(req)[name])
	if v == "" {
		return nil
	}
	var list []string
	if strings.HasPrefix(v, "[\"") && json.Unmarshal([]byte(v), &list) == nil {
		return list
	}
	v = strings.TrimSuffix(strings.TrimPrefix(v, "["), "]")
	return strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' })
}

// Query returns the query string parameters. It parses rawQueryString rather than
// queryStringParameters, because the latter joins repeated parameters with commas and so cannot tell
// "a=1,2" from "a=1&a=2". A malformed query string is a CodeInvalid error.
func Query(req events.APIGatewayV2HTTPRequest) (url.Values, error) {
	if req.RawQueryString == "" {
		q := url.Values{}
		for k, v := range req.QueryStringParameters {
			q.Set(k, v)
		}
		return q, nil
	}
	q, err := url.ParseQuery(req.RawQueryString)
	if err != nil {
		return nil, &refund.Error{Code: refund.CodeInvalid, Message: "The address of this page is malformed. Please open the link again.",
			Err: fmt.Errorf("parse query string: %w", err)}
	}
	return q, nil
}

// Body returns the request body, decoded from base64 when API Gateway encoded it (it does so for form
// posts and any other non-text content type). A body over MaxBodyBytes is a CodeTooLarge error, checked
// before decoding so an oversized body costs nothing; broken base64 is a CodeInvalid error.
func Body(req events.APIGatewayV2HTTPRequest) ([]byte, error) {
	return BodyLimit(req, MaxBodyBytes)
}

// BodyLimit is Body with a different size limit, in decoded bytes, for the rare route that needs one.
func BodyLimit(req events.APIGatewayV2HTTPRequest, limit int) ([]byte, error) {
	if !req.IsBase64Encoded {
		if len(req.Body) > limit {
			return nil, tooLarge(limit)
		}
		return []byte(req.Body), nil
	}
	if base64.StdEncoding.DecodedLen(len(req.Body)) > limit+2 {
		return nil, tooLarge(limit)
	}
	data, err := base64.StdEncoding.DecodeString(req.Body)
	if err != nil {
		return nil, &refund.Error{Code: refund.CodeInvalid, Message: "The request body could not be read.",
			Err: fmt.Errorf("decode base64 body: %w", err)}
	}
	if len(data) > limit {
		return nil, tooLarge(limit)
	}
	return data, nil
}

func tooLarge(limit int) error {
	return &refund.Error{Code: CodeTooLarge,
		Message: fmt.Sprintf("What you sent is too large: at most %d KB is accepted.", limit>>10),
		Err:     fmt.Errorf("body over %d bytes", limit)}
}

// mediaType returns the request's media type in lower case and its parameters; "" when there is no
// Content-Type header. A header that does not parse is a CodeUnsupportedMediaType error.
func mediaType(req events.APIGatewayV2HTTPRequest) (string, map[string]string, error) {
	ct := Header(req, "content-type")
	if strings.TrimSpace(ct) == "" {
		return "", nil, nil
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil {
		return "", nil, &refund.Error{Code: CodeUnsupportedMediaType, Message: "The Content-Type header could not be read.",
			Err: fmt.Errorf("parse content type %q: %w", ct, err)}
	}
	return mt, params, nil
}

// utf8Charset reports whether a charset parameter is absent or names UTF-8 (or its subset US-ASCII).
func utf8Charset(params map[string]string) bool {
	cs, ok := params["charset"]
	if !ok {
		return true
	}
	switch strings.ToLower(cs) {
	case "utf-8", "utf8", "us-ascii":
		return true
	}
	return false
}

// Form parses an application/x-www-form-urlencoded body (base64 or not). It is strict: another content
// type or charset is a CodeUnsupportedMediaType error; bad percent-encoding, a ";" separator or more than
// MaxFormFields fields is a CodeInvalid error; the body size is limited as in Body. Values keep
// invalid UTF-8, so that field validation can name the field that has it.
func Form(req events.APIGatewayV2HTTPRequest) (url.Values, error) {
	mt, params, err := mediaType(req)
	if err != nil {
		return nil, err
	}
	if mt != "application/x-www-form-urlencoded" || !utf8Charset(params) {
		return nil, &refund.Error{Code: CodeUnsupportedMediaType, Message: "This address accepts only form posts (application/x-www-form-urlencoded, UTF-8).",
			Err: fmt.Errorf("form: content type %q", Header(req, "content-type"))}
	}
	body, err := Body(req)
	if err != nil {
		return nil, err
	}
	if n := bytes.Count(body, []byte("&")) + 1; n > MaxFormFields {
		return nil, &refund.Error{Code: refund.CodeInvalid, Message: "The form has too many fields.",
			Err: fmt.Errorf("form: %d fields, at most %d", n, MaxFormFields)}
	}
	values, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, &refund.Error{Code: refund.CodeInvalid, Message: "The form could not be read. Please go back and send it again.",
			Err: fmt.Errorf("parse form body: %w", err)}
	}
	return values, nil
}

// DecodeJSON decodes a JSON request body into v, which must be a pointer. It is strict and explains
// itself: the Content-Type must be application/json (UTF-8) or it is a CodeUnsupportedMediaType error;
// the body is limited as in Body; unknown fields, a value of the wrong type, malformed JSON, an empty
// body or more than one value are CodeInvalid errors whose Fields name the field ("must be a string").
func DecodeJSON(req events.APIGatewayV2HTTPRequest, v any) error {
	return DecodeJSONLimit(req, v, MaxBodyBytes)
}

// DecodeJSONLimit is DecodeJSON with a different body size limit in bytes.
func DecodeJSONLimit(req events.APIGatewayV2HTTPRequest, v any, limit int) error {
	mt, params, err := mediaType(req)
	if err != nil {
		return err
	}
	if mt != "application/json" || !utf8Charset(params) {
		return &refund.Error{Code: CodeUnsupportedMediaType, Message: "Send the body as JSON with the header Content-Type: application/json.",
			Err: fmt.Errorf("json: content type %q", Header(req, "content-type"))}
	}
	body, err := BodyLimit(req, limit)
	if err != nil {
		return err
	}
	// encoding/json would quietly turn invalid UTF-8 into U+FFFD and store what the client never
	// sent; refuse it instead, like the form parser does.
	if !utf8.Valid(body) {
		return badUTF8(body)
	}
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) == 0 {
		return invalidJSON("The request body is empty; send a JSON object.", nil, errors.New("empty body"))
	}
	if wantsObject(v) && trimmed[0] != '{' {
		return invalidJSON("The request body must be a JSON object ({...}).", nil, errors.New("top-level value is not an object"))
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return explainJSON(body, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return invalidJSON("The request body must contain exactly one JSON value.", nil, errors.New("data after the first value"))
	}
	return nil
}

// FormOrJSON reads the body of a route that takes both a form and JSON, by its Content-Type:
// application/json is decoded into v as DecodeJSON does and the values returned are nil;
// application/x-www-form-urlencoded is parsed as Form does and v is left alone. Any other content
// type is a CodeUnsupportedMediaType error that names both.
func FormOrJSON(req events.APIGatewayV2HTTPRequest, v any) (url.Values, error) {
	mt, _, err := mediaType(req)
	if err != nil {
		return nil, err
	}
	switch mt {
	case "application/json":
		return nil, DecodeJSON(req, v)
	case "application/x-www-form-urlencoded":
		return Form(req)
	}
	return nil, &refund.Error{Code: CodeUnsupportedMediaType,
		Message: "Send a form (application/x-www-form-urlencoded) or JSON (application/json).",
		Err:     fmt.Errorf("form or json: content type %q", Header(req, "content-type"))}
}

// badUTF8 explains a JSON body that is not valid UTF-8, naming the field whose value (or name) holds
// the first invalid byte when the body is JSON enough to tell: {"details":"caf\xe9"} gives
// fields {"details": "is not valid UTF-8 text"}.
func badUTF8(body []byte) error {
	at := firstInvalidUTF8(body)
	path, inName := jsonPathAt(body, at)
	cause := fmt.Errorf("invalid UTF-8 at byte %d", at)
	switch {
	case path == "":
		return invalidJSON("The request body is not valid UTF-8 text.", nil, cause)
	case inName:
		return invalidJSON("A field name in the request body is not valid UTF-8 text (in "+path+").",
			refund.FieldErrors{path: "has a field name that is not valid UTF-8 text"}, cause)
	}
	return invalidJSON("Field "+path+" is not valid UTF-8 text.", refund.FieldErrors{path: "is not valid UTF-8 text"}, cause)
}

// firstInvalidUTF8 returns the offset of the first byte of b that does not start a valid UTF-8
// sequence, or len(b).
func firstInvalidUTF8(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 {
			return i
		}
		i += n
	}
	return len(b)
}

// jsonPathAt returns the path, in the notation field errors use ("offers[1].amount"), of the value
// or object key that holds byte offset at of body, and whether it is the key (the field's name)
// rather than the value. It reads the tokens up to that offset and gives "" when the body is not
// JSON that far, or the offset is outside any value.
func jsonPathAt(body []byte, at int) (path string, inName bool) {
	// One frame per open object or array: the key being read (objects) or the index (arrays).
	type frame struct {
		object  bool
		key     string
		index   int
		wantKey bool
	}
	var stack []frame
	name := func() string {
		var b strings.Builder
		for _, f := range stack {
			if !f.object {
				fmt.Fprintf(&b, "[%d]", f.index)
				continue
			}
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(f.key)
		}
		return b.String()
	}
	// valueDone moves the innermost container past a value that ended.
	valueDone := func() {
		if n := len(stack); n > 0 {
			if stack[n-1].object {
				stack[n-1].wantKey = true
			} else {
				stack[n-1].index++
			}
		}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	for {
		tok, err := dec.Token()
		if err != nil {
			return "", false
		}
		end := int(dec.InputOffset())
		switch tok {
		case json.Delim('{'), json.Delim('['):
			stack = append(stack, frame{object: tok == json.Delim('{'), wantKey: tok == json.Delim('{')})
			continue
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
			valueDone()
			continue
		}
		if n := len(stack); n > 0 && stack[n-1].object && stack[n-1].wantKey {
			stack[n-1].key, stack[n-1].wantKey = fmt.Sprint(tok), false
			if end > at {
				return name(), true
			}
			continue
		}
		if end > at {
			return name(), false
		}
		valueDone()
	}
}

// wantsObject reports whether v points to a struct or map, whose JSON form is an object: then a body
// such as null or [] is refused up front instead of decoding into nothing.
func wantsObject(v any) bool {
	t := reflect.TypeOf(v)
	if t == nil || t.Kind() != reflect.Pointer {
		return false
	}
	k := t.Elem().Kind()
	return k == reflect.Struct || k == reflect.Map
}

func invalidJSON(msg string, fields refund.FieldErrors, cause error) error {
	return &refund.Error{Code: refund.CodeInvalid, Message: msg, Fields: fields, Err: fmt.Errorf("decode json body: %w", cause)}
}

// explainJSON turns a decoding error into a message a person understands, naming the field when the
// decoder knows it.
func explainJSON(body []byte, err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		line, col := position(body, syn.Offset)
		return invalidJSON(fmt.Sprintf("The request body is not valid JSON (line %d, column %d).", line, col), nil, err)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return invalidJSON("The request body is not complete JSON: it ends too early.", nil, err)
	case errors.As(err, &typ):
		if typ.Field == "" {
			return invalidJSON("The request body must be "+typeName(typ.Type)+".", nil, err)
		}
		msg := fmt.Sprintf("field %s must be %s", typ.Field, typeName(typ.Type))
		return invalidJSON("Field "+typ.Field+" must be "+typeName(typ.Type)+".", refund.FieldErrors{typ.Field: msg}, err)
	}
	// DisallowUnknownFields reports `json: unknown field "name"` without a typed error.
	if rest, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		name, uerr := strconv.Unquote(rest)
		if uerr != nil {
			name = rest
		}
		return invalidJSON("Field "+name+" is not recognised.", refund.FieldErrors{name: "field " + name + " is not recognised"}, err)
	}
	return invalidJSON("The request body could not be read as JSON.", nil, err)
}

// typeName names a Go type the way a person writing JSON thinks of it.
func typeName(t reflect.Type) string {
	if t == nil {
		return "a different type"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number in range"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Struct, reflect.Map:
		return "an object"
	}
	return "a different type"
}

// position converts a byte offset into a 1-based line and column for error messages.
func position(body []byte, offset int64) (line, col int) {
	// The decoder's offset counts the bytes read, including the offending one.
	offset--
	if offset > int64(len(body)) {
		offset = int64(len(body))
	}
	if offset < 0 {
		offset = 0
	}
	before := body[:offset]
	line = bytes.Count(before, []byte("\n")) + 1
	col = int(offset) - bytes.LastIndexByte(before, '\n')
	return line, col
}

// WantsJSON reports whether the response should be JSON rather than HTML. The Accept header decides
// when it prefers one: by q-value, and on equal q-values the type it names explicitly wins over one
// only covered by a wildcard (browsers name text/html; axios sends "application/json, text/plain,
// */*"). When it does not prefer either (no header, */* only as curl and fetch send, or both named
// alike), a request that itself sent JSON gets JSON and anything else gets HTML.
func WantsJSON(req events.APIGatewayV2HTTPRequest) bool {
	accept := Header(req, "accept")
	if strings.TrimSpace(accept) != "" {
		qJSON, specJSON := acceptQ(accept, "application", "json")
		qHTML, specHTML := acceptQ(accept, "text", "html")
		switch {
		case qJSON != qHTML:
			return qJSON > qHTML
		case qJSON > 0 && specJSON != specHTML:
			return specJSON > specHTML
		}
	}
	mt, _, err := mediaType(req)
	return err == nil && mt == "application/json"
}

// acceptQ returns the q-value the Accept header gives to type/subtype, using the most specific
// matching range (RFC 9110 section 12.5.1), and that range's specificity: 2 for the exact type, 1 for
// type/*, 0 for */*; q is 0 and specificity -1 if no range matches.
func acceptQ(accept, typ, sub string) (q float64, specificity int) {
	best, bestSpec := 0.0, -1
	for _, part := range strings.Split(accept, ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		t, s, _ := strings.Cut(mt, "/")
		spec := -1
		switch {
		case t == typ && s == sub:
			spec = 2
		case t == typ && s == "*":
			spec = 1
		case t == "*" && s == "*":
			spec = 0
		}
		if spec < 0 || spec < bestSpec {
			continue
		}
		q := 1.0
		if qs, ok := params["q"]; ok {
			f, err := strconv.ParseFloat(qs, 64)
			if err != nil || f < 0 || f > 1 {
				continue
			}
			q = f
		}
		if spec > bestSpec || q > best {
			best, bestSpec = q, spec
		}
	}
	return best, bestSpec
}
