// Command aslcheck prints a state machine definition with every ${Placeholder} filled with a
// well-formed Lambda function ARN, so external validators (asl-validator, which refuses
// placeholders) can check the real file. It also parses the result with the local engine's validator.
//
//	go run ./cmd/aslcheck statemachine/refund.asl.json > resolved.json
package main

import (
	"fmt"
	"os"
	"regexp"

	"refundflow/infra/local/asl"
)

var placeholder = regexp.MustCompile(`\$\{([A-Za-z0-9_]+)\}`)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: aslcheck definition.asl.json")
		os.Exit(2)
	}
	raw, err := os.ReadFile(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "aslcheck:", err)
		os.Exit(1)
	}
	subs := map[string]string{}
	for _, m := range placeholder.FindAllStringSubmatch(string(raw), -1) {
		subs[m[1]] = "arn:aws:lambda:us-east-1:123456789012:function:" + m[1]
	}
	def, err := asl.Substitute(string(raw), subs)
	if err != nil {
		fmt.Fprintln(os.Stderr, "aslcheck:", err)
		os.Exit(1)
	}
	if _, err := asl.Parse([]byte(def)); err != nil {
		fmt.Fprintf(os.Stderr, "aslcheck: %s is not valid: %v\n", os.Args[1], err)
		os.Exit(1)
	}
	fmt.Print(def)
}
