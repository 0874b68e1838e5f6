package sim

import (
	"maps"
	"net/http"
)

// The model rules tests (package sim_test) read the generated table and
// call the check directly for requests no route accepts (an empty path
// segment).
type (
	ModelOp       = modelOp
	ModelParam    = modelParam
	ModelSchema   = modelSchema
	ModelProperty = modelProperty
)

var ModelRules = modelRules

const ModelRuleCount = modelRuleCount

// RoutePatterns returns the route pattern of every operation served.
func (s *Sim) RoutePatterns() map[string]string { return maps.Clone(s.patterns) }

// CheckModel runs the model check of op on r (its path values set by the
// caller): ok, or the InvalidInput message and details it answers.
func CheckModel(op string, r *http.Request) (ok bool, message, details string) {
	f := checkModel(op, r)
	if f == nil {
		return true, "", ""
	}
	return false, f.err.Message, f.err.Details
}
