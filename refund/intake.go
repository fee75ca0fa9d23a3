package refund

import "time"

// Channel is how a client's request reached the company when a member of staff took it for them.
type Channel string

// The channels a member of staff takes a request by.
const (
	ChannelPhone  Channel = "phone"
	ChannelEmail  Channel = "email"
	ChannelLetter Channel = "letter"
)

// Valid reports whether c is one of the channels.
func (c Channel) Valid() bool { return c == ChannelPhone || c == ChannelEmail || c == ChannelLetter }

// StaffIntake is a request a member of staff takes for a client who phoned or wrote: the fields of
// the client's own submission that say what the client wants, plus the channel. The order's purchase
// date, email and name come from the order on record (TakenSubmission), never from the agent, so
// every email about the request goes to the order's email on record.
type StaffIntake struct {
	OrderNumber string  `json:"order_number"`
	Kind        string  `json:"kind"`
	Reason      string  `json:"reason"`
	Details     string  `json:"details"`
	Channel     Channel `json:"channel"`
}

// TakenSubmission returns the submission of a request taken by staff for the order: the intake's
// order number, kind, reason and the client's words, with the order's own purchase date, email and
// customer name, so the verification matches it to the order on record.
func (in StaffIntake) TakenSubmission(o Order) Submission {
	return Submission{
		OrderNumber: o.Number, PurchaseDate: o.PurchaseDate, Email: o.Email, Name: o.CustomerName,
		Kind: in.Kind, Reason: in.Reason, Details: in.Details,
	}.Normalize()
}

// NewTakenRequest builds the submitted request of an intake for the order (NewRequest on
// TakenSubmission, with the channel): CodeInvalid with field messages when the intake is not valid.
func NewTakenRequest(id string, in StaffIntake, o Order, now time.Time) (Request, Submission, error) {
	errs := FieldErrors{}
	if !in.Channel.Valid() {
		errs["channel"] = "must be phone, email or letter"
	}
	sub := in.TakenSubmission(o)
	for field, msg := range sub.Validate() {
		switch field {
		case "kind", "reason", "details", "order_number":
			errs[field] = msg
		default:
			// The order's own data: a billing record the form would refuse is the billing
			// system's to correct, but it must not stop a request the client asked for.
			errs["order"] = "the order on record has an invalid " + field + "; correct it in the billing system"
		}
	}
	if err := errs.Err(); err != nil {
		return Request{}, Submission{}, err
	}
	r, err := NewRequest(id, sub, now)
	if err != nil {
		return Request{}, Submission{}, err
	}
	r.Channel = in.Channel
	return r, sub, nil
}
