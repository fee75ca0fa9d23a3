package web

import (
	"regexp"
	"strings"
	"unicode"
)

// AgreementBlock is one part of an agreement text as the consent page shows it: a heading, a list of
// labelled fields ("Customer: Ada Lovelace"), a calculation table, or a paragraph. The blocks only
// arrange the text: every word of it appears in them, in order, and nothing else (see
// AgreementBlocks), so the readable page says exactly what the client signs.
type AgreementBlock struct {
	// Heading is a section's title (the text's upper-case lines).
	Heading string
	// Fields are "Label: value" lines, as pairs.
	Fields [][2]string
	// Rows are the lines of a calculation, label and amount.
	Rows [][2]string
	// Text is a paragraph.
	Text string
}

var (
	fieldLine = regexp.MustCompile(`^([A-Z][A-Za-z ]{0,30}):\s{2,}(.*)$`)
	rowLine   = regexp.MustCompile(`^\s{2}(.*?)\s{2,}(\S.*)$`)
)

// AgreementBlocks splits an agreement text (refund.Agreement) into blocks for display. It never
// changes the words: a line it cannot classify is a paragraph of its own.
func AgreementBlocks(text string) []AgreementBlock {
	var out []AgreementBlock
	var para []string
	flush := func() {
		if len(para) > 0 {
			out = append(out, AgreementBlock{Text: strings.Join(para, " ")})
			para = nil
		}
	}
	last := func() *AgreementBlock {
		if len(out) == 0 {
			return nil
		}
		return &out[len(out)-1]
	}
	for _, line := range strings.Split(text, "\n") {
		trimmed := strings.TrimSpace(line)
		switch {
		case trimmed == "":
			flush()
		case isHeading(trimmed):
			flush()
			out = append(out, AgreementBlock{Heading: trimmed})
		case rowLine.MatchString(line):
			flush()
			m := rowLine.FindStringSubmatch(line)
			if b := last(); b != nil && b.Rows != nil {
				b.Rows = append(b.Rows, [2]string{m[1], m[2]})
			} else {
				out = append(out, AgreementBlock{Rows: [][2]string{{m[1], m[2]}}})
			}
		case fieldLine.MatchString(line):
			flush()
			m := fieldLine.FindStringSubmatch(line)
			if b := last(); b != nil && b.Fields != nil {
				b.Fields = append(b.Fields, [2]string{m[1], m[2]})
			} else {
				out = append(out, AgreementBlock{Fields: [][2]string{{m[1], m[2]}}})
			}
		default:
			para = append(para, trimmed)
		}
	}
	flush()
	return out
}

// isHeading reports whether a line is a section title: its letters are all upper case (an amount may
// follow a colon: "AMOUNT REFUNDED: EUR 1,800.00").
func isHeading(line string) bool {
	head, _, _ := strings.Cut(line, ":")
	letters := 0
	for _, r := range head {
		if unicode.IsLetter(r) {
			if !unicode.IsUpper(r) {
				return false
			}
			letters++
		}
	}
	return letters >= 3
}

// Words returns the words of the blocks in order, for checking that display keeps the text.
func blockWords(blocks []AgreementBlock) []string {
	var all []string
	for _, b := range blocks {
		all = append(all, strings.Fields(b.Heading)...)
		for _, f := range b.Fields {
			all = append(all, strings.Fields(f[0]+": "+f[1])...)
		}
		for _, r := range b.Rows {
			all = append(all, strings.Fields(r[0]+" "+r[1])...)
		}
		all = append(all, strings.Fields(b.Text)...)
	}
	return all
}
