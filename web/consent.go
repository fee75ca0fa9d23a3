package web

// Single reports whether there is exactly one offer: it is then chosen already, so accepting needs
// only the name and the tick.
func (p ConsentPage) Single() bool { return len(p.Offers) == 1 }

// Intro says how to answer, for one offer or several.
func (p ConsentPage) Intro() string {
	if p.Single() {
		return "Read it and the agreement below. To accept, type your full name as your signature, tick the box and press “Accept this offer”. If it does not suit you, you can decline below. Nothing happens until you press a button."
	}
	return "Choose an option to see its agreement. To accept it, type your full name as your signature, tick the box and press “Accept the chosen option”. If none suits you, you can decline below. Nothing happens until you press a button."
}

// PolicyPath links to the policy the offers were made under.
func (p ConsentPage) PolicyPath() string {
	if len(p.Offers) > 0 && p.Offers[0].Offer.PolicyVersion != "" {
		return PolicyPath(p.Offers[0].Offer.PolicyVersion)
	}
	return PolicyPath("")
}

// Blocks returns the offer's agreement text arranged for reading (AgreementBlocks).
func (o ConsentOffer) Blocks() []AgreementBlock { return AgreementBlocks(o.Agreement) }

// PolicyPath links to the policy version the offer was made under.
func (o ConsentOffer) PolicyPath() string { return PolicyPath(o.Offer.PolicyVersion) }
