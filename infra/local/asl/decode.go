package asl

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// definitionDoc is a decoded definition plus what encoding/json would lose:
// duplicate keys (which AWS refuses) and the order of each States object.
type definitionDoc struct {
	value  any
	dups   []string            // JSON pointers of duplicated keys
	orders map[string][]string // JSON pointer of an object -> its keys in order
}

// decodeDefinition decodes a definition token by token so that it can report
// duplicate keys and remember key order, with numbers as json.Number.
func decodeDefinition(data []byte) (*definitionDoc, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	doc := &definitionDoc{orders: map[string][]string{}}
	v, err := doc.decodeValue(dec, "")
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("unexpected data after the JSON value")
	}
	doc.value = v
	return doc, nil
}

func (d *definitionDoc) decodeValue(dec *json.Decoder, ptr string) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			m := map[string]any{}
			var keys []string
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k, ok := kt.(string)
				if !ok {
					return nil, fmt.Errorf("expected an object key at %s", ptr)
				}
				child := ptr + "/" + escapePointer(k)
				v, err := d.decodeValue(dec, child)
				if err != nil {
					return nil, err
				}
				if _, dup := m[k]; dup {
					d.dups = append(d.dups, child)
				} else {
					keys = append(keys, k)
				}
				m[k] = v
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			if strings.HasSuffix(ptr, "/States") || ptr == "/States" {
				d.orders[ptr] = keys
			}
			return m, nil
		case '[':
			a := []any{}
			for i := 0; dec.More(); i++ {
				v, err := d.decodeValue(dec, fmt.Sprintf("%s/%d", ptr, i))
				if err != nil {
					return nil, err
				}
				a = append(a, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return a, nil
		}
		return nil, fmt.Errorf("unexpected %v", t)
	default:
		return tok, nil
	}
}

// escapePointer escapes a key for use in a JSON pointer (RFC 6901).
func escapePointer(k string) string {
	return strings.ReplaceAll(strings.ReplaceAll(k, "~", "~0"), "/", "~1")
}
