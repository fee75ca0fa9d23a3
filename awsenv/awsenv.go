// Package awsenv lists every function's builder by its logical ID in template.yaml (Builders), so the
// local stack and the template-agreement tests can build every function from one Env exactly as its
// Lambda binary does.
//
// The builders themselves live in subpackages grouped by the AWS clients they need, because every
// package a binary imports runs its init at each cold start and an SDK service package costs
// milliseconds there. Each group is named for the functions it builds: basicfuncs (the functions
// that need only what lambdaenv gives every function: the Env, DynamoDB and Step Functions), formfuncs
// (the pages behind the client's links, plus the PDF library), submitfuncs (the request form, plus
// Secrets Manager for the email lookup key), mailfuncs (the steps that send email, plus SES),
// paymentfuncs (the step that moves money, plus the payment gateways), and the groups of one
// function each (stafffuncs, eventfuncs, pdffuncs, sandboxfuncs). A function's main imports lambdaenv
// and its own group, never this package, which links them all.
//
// The names below repeat lambdaenv's so that callers building every function (the local stack, the
// cost and template tests) need only this package.
package awsenv

import (
	"refundflow/awsenv/lambdaenv"
	"refundflow/awsenv/paymentfuncs"
)

// Env is what builders build from (lambdaenv.Env).
type Env = lambdaenv.Env

// Endpoints overrides the endpoint of individual AWS services (lambdaenv.Endpoints).
type Endpoints = lambdaenv.Endpoints

// MissingError reports the environment variables a function needs and did not get
// (lambdaenv.MissingError).
type MissingError = lambdaenv.MissingError

// The environment variables the functions read; see lambdaenv for each one's meaning.
const (
	// VarTableName is the DynamoDB table's name.
	VarTableName = lambdaenv.VarTableName
	// VarStateMachineARN is the refund workflow's ARN.
	VarStateMachineARN = lambdaenv.VarStateMachineARN
	// VarPublicBaseURL is the public base URL that links in emails are built from.
	VarPublicBaseURL = lambdaenv.VarPublicBaseURL
	// VarMailFrom is the verified SES identity emails are sent from.
	VarMailFrom = lambdaenv.VarMailFrom
	// VarMailConfigurationSet is the SES configuration set every email names.
	VarMailConfigurationSet = lambdaenv.VarMailConfigurationSet
	// VarStaffEmail is where staff notifications go.
	VarStaffEmail = lambdaenv.VarStaffEmail
	// VarCompanyName names the company that signs the emails.
	VarCompanyName = lambdaenv.VarCompanyName
	// VarCompanySupportEmail is where clients write with questions.
	VarCompanySupportEmail = lambdaenv.VarCompanySupportEmail
	// VarCompanyAddress is the company's postal address.
	VarCompanyAddress = lambdaenv.VarCompanyAddress
	// VarCompanyLogoURL is the optional logo on the pages.
	VarCompanyLogoURL = lambdaenv.VarCompanyLogoURL
	// VarCompanyPolicyURL optionally replaces /policy in links.
	VarCompanyPolicyURL = lambdaenv.VarCompanyPolicyURL
	// VarStaffSignInURL is the staff user pool's hosted sign-in domain.
	VarStaffSignInURL = lambdaenv.VarStaffSignInURL
	// VarStaffClientID is the staff console's app client.
	VarStaffClientID = lambdaenv.VarStaffClientID
	// VarStaffRedirectURI is where the staff sign-in returns to.
	VarStaffRedirectURI = lambdaenv.VarStaffRedirectURI
	// VarStaffSignOutURI is where the staff sign-out returns to.
	VarStaffSignOutURI = lambdaenv.VarStaffSignOutURI
	// VarPaymentProvider is "sandbox" or "stripe".
	VarPaymentProvider = lambdaenv.VarPaymentProvider
	// VarPaymentSecretARN is the Secrets Manager secret holding the Stripe API key.
	VarPaymentSecretARN = lambdaenv.VarPaymentSecretARN
	// VarSiteOrigins lists the company's websites whose pages may post to the client routes.
	VarSiteOrigins = lambdaenv.VarSiteOrigins
	// VarStripeWebhookSecretARN is the Secrets Manager secret holding the webhook endpoint's signing secret.
	VarStripeWebhookSecretARN = lambdaenv.VarStripeWebhookSecretARN
	// VarFourEyesLimits sets the four-eyes limits of staff review decisions.
	VarFourEyesLimits = lambdaenv.VarFourEyesLimits
	// VarLookupKeySecretARN is the secret keying the hash of clients' emails staff search by.
	VarLookupKeySecretARN = lambdaenv.VarLookupKeySecretARN
	// VarAgreementPdfFunction names the function that makes the signed agreement's PDF.
	VarAgreementPdfFunction = lambdaenv.VarAgreementPdfFunction
	// VarSendMailFunction names the function that writes and sends StaffApi's and StripeWebhook's emails.
	VarSendMailFunction = lambdaenv.VarSendMailFunction
	// VarCABundle names a PEM file of roots that replaces the AWS clients' trusted roots.
	VarCABundle = lambdaenv.VarCABundle
)

// The payment providers PAYMENT_PROVIDER selects (see paymentfuncs).
const (
	// ProviderSandbox keeps refunds in the table.
	ProviderSandbox = paymentfuncs.ProviderSandbox
	// ProviderStripe refunds through Stripe.
	ProviderStripe = paymentfuncs.ProviderStripe
)
