package sim

import "testing"

func TestParseSQSARN(t *testing.T) {
	region, account, name, err := parseSQSARN("arn:aws:sqs:eu-west-1:123456789012:spsync-notifications")
	if err != nil || region != "eu-west-1" || account != "123456789012" || name != "spsync-notifications" {
		t.Fatalf("got %q %q %q %v", region, account, name, err)
	}
	if _, _, _, err := parseSQSARN("arn:aws-cn:sqs:cn-north-1:123456789012:q"); err != nil {
		t.Fatalf("China partition: %v", err)
	}
	for _, bad := range []string{
		"", "https://sqs.us-east-1.amazonaws.com/123456789012/q", "arn:aws:sns:us-east-1:123456789012:q",
		"arn:aws:sqs:us-east-1:123456789012", "arn:aws:sqs::123456789012:q", "arn:aws:sqs:us-east-1::q", "arn:aws:sqs:us-east-1:123456789012:",
	} {
		if _, _, _, err := parseSQSARN(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
