package outbox

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"
)

// BenchmarkSendEmail measures one SendEmail through the real SDK client
// over loopback HTTP into the outbox.
func BenchmarkSendEmail(b *testing.B) {
	o := New()
	client := newClientTB(b, o)
	in := &sesv2.SendEmailInput{
		FromEmailAddress: aws.String("refunds@example.com"),
		Destination:      &types.Destination{ToAddresses: []string{"client@example.org"}},
		Content:          simple("Confirm", "https://refunds.example.com/consent/abc", `<a href="https://refunds.example.com/consent/abc">Confirm</a>`),
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := client.SendEmail(context.Background(), in); err != nil {
			b.Fatal(err)
		}
	}
}
