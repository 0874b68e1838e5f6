package config

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// accountsFile is the YAML shape of SPSYNC_ACCOUNTS_FILE. Secrets are not
// in the file: it names the environment variables that hold them, so the
// file can be committed or mounted as a config map.
//
//	accounts:
//	  - id: seller-us
//	    region: na
//	    marketplace_ids: [ATVPDKIKX0DER, A2EUQ1WTGCTBG2]
//	    client_id: amzn1.application-oa2-client.abc
//	    client_secret_env: SELLER_US_LWA_CLIENT_SECRET
//	    refresh_token_env: SELLER_US_REFRESH_TOKEN
//	    orders_api: v0            # optional; SPSYNC_ORDERS_API otherwise
//	    selling_partner_id: A3TH9S8BH6GOGM  # required with SPSYNC_SQS_QUEUE_URL
type accountsFile struct {
	Accounts []accountEntry `yaml:"accounts"`
}

type accountEntry struct {
	ID              string   `yaml:"id"`
	Region          string   `yaml:"region"`
	MarketplaceIDs  []string `yaml:"marketplace_ids"`
	ClientID        string   `yaml:"client_id"`
	ClientSecretEnv string   `yaml:"client_secret_env"`
	RefreshTokenEnv string   `yaml:"refresh_token_env"`
	// OrdersAPI overrides SPSYNC_ORDERS_API for the account.
	OrdersAPI string `yaml:"orders_api"`
	// SellingPartnerID is the seller's merchant token, which routes push
	// notifications to the account.
	SellingPartnerID string `yaml:"selling_partner_id"`
	// ClientSecretExpiresAt declares the client secret's expiry
	// (2027-06-01), for expiry warnings without an application queue.
	ClientSecretExpiresAt string `yaml:"client_secret_expires_at"`
}

// loadAccountsFile reads and validates the accounts file at path. Every
// problem names the file and line.
func loadAccountsFile(path string, getenv func(string) string, ordersAPI string) ([]Account, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, &Error{"SPSYNC_ACCOUNTS_FILE", fmt.Sprintf("cannot read %s: %v", path, err)}
	}
	var root yaml.Node
	if err := yaml.Unmarshal(raw, &root); err != nil {
		return nil, yamlError(path, err)
	}
	lineErr := func(line int, format string, args ...any) error {
		return &Error{"SPSYNC_ACCOUNTS_FILE", fmt.Sprintf("%s:%d: %s", path, line, fmt.Sprintf(format, args...))}
	}
	if len(root.Content) == 0 {
		return nil, lineErr(1, "the file is empty: list accounts under `accounts:`")
	}

	// Decode strictly so a misspelled key is an error rather than a
	// silently missing value.
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	var file accountsFile
	if err := dec.Decode(&file); err != nil {
		return nil, yamlError(path, err)
	}
	lines := entryLines(&root)
	if len(file.Accounts) == 0 {
		return nil, lineErr(1, "no accounts listed under `accounts:`")
	}

	seen := map[string]int{}
	accounts := make([]Account, 0, len(file.Accounts))
	for i, e := range file.Accounts {
		line := 1
		if i < len(lines) {
			line = lines[i]
		}
		if e.ID == "" {
			return nil, lineErr(line, "account has no id: add `id: some-name`")
		}
		if prev, dup := seen[e.ID]; dup {
			return nil, lineErr(line, "account id %q is also used on line %d: ids must be unique", e.ID, prev)
		}
		seen[e.ID] = line
		region := strings.ToLower(e.Region)
		if region == "" {
			region = "na"
		}
		if !isRegion(region) {
			return nil, lineErr(line, "account %q: unknown region %q: use one of %s", e.ID, e.Region, strings.Join(Regions, ", "))
		}
		mps, err := parseMarketplaces(strings.Join(e.MarketplaceIDs, ","))
		if err != nil {
			return nil, lineErr(line, "account %q: %s", e.ID, err.(*Error).Msg)
		}
		if len(mps) == 0 {
			return nil, lineErr(line, "account %q: no marketplace_ids: list at least one, e.g. [ATVPDKIKX0DER]", e.ID)
		}
		if e.ClientID == "" || e.ClientSecretEnv == "" || e.RefreshTokenEnv == "" {
			return nil, lineErr(line, "account %q: client_id, client_secret_env and refresh_token_env are all required", e.ID)
		}
		secret, refresh := getenv(e.ClientSecretEnv), getenv(e.RefreshTokenEnv)
		if secret == "" {
			return nil, lineErr(line, "account %q: environment variable %s (client_secret_env) is empty", e.ID, e.ClientSecretEnv)
		}
		if refresh == "" {
			return nil, lineErr(line, "account %q: environment variable %s (refresh_token_env) is empty", e.ID, e.RefreshTokenEnv)
		}
		api := ordersAPI
		if e.OrdersAPI != "" {
			if api, err = parseOrdersAPI(e.OrdersAPI); err != nil {
				return nil, lineErr(line, "account %q: orders_api: %v", e.ID, err)
			}
		}
		if e.SellingPartnerID != "" && !sellingPartnerIDPattern.MatchString(e.SellingPartnerID) {
			return nil, lineErr(line, "account %q: selling_partner_id %q is not a merchant token like A3TH9S8BH6GOGM", e.ID, e.SellingPartnerID)
		}
		var expires *time.Time
		if e.ClientSecretExpiresAt != "" {
			t, err := parseExpiry(e.ClientSecretExpiresAt)
			if err != nil {
				return nil, lineErr(line, "account %q: client_secret_expires_at: %v", e.ID, err)
			}
			expires = &t
		}
		accounts = append(accounts, Account{
			ID: e.ID, Region: region, MarketplaceIDs: mps, ClientID: e.ClientID,
			ClientSecret: Secret(secret), RefreshToken: Secret(refresh), OrdersAPI: api,
			SellingPartnerID: e.SellingPartnerID, Source: SourceAccountsFile, ClientSecretExpiresAt: expires,
		})
	}
	return accounts, nil
}

// yamlError turns yaml's "line N: msg" (one per problem) into one
// "path:N: msg" line, the first problem.
func yamlError(path string, err error) error {
	msg := err.Error()
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msg = te.Errors[0]
	}
	msg = strings.TrimPrefix(msg, "yaml: ")
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if n, tail, ok := strings.Cut(rest, ": "); ok {
			return &Error{"SPSYNC_ACCOUNTS_FILE", fmt.Sprintf("%s:%s: %s", path, n, tail)}
		}
	}
	return &Error{"SPSYNC_ACCOUNTS_FILE", fmt.Sprintf("%s: %s", path, strings.ReplaceAll(msg, "\n", " "))}
}

// entryLines returns the line of each item of the top-level accounts list.
func entryLines(root *yaml.Node) []int {
	doc := root.Content[0]
	if doc.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(doc.Content); i += 2 {
		if doc.Content[i].Value == "accounts" && doc.Content[i+1].Kind == yaml.SequenceNode {
			var lines []int
			for _, item := range doc.Content[i+1].Content {
				lines = append(lines, item.Line)
			}
			return lines
		}
	}
	return nil
}
