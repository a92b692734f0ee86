package elasticsearch

import (
	"encoding/json"
)

// TemplateName is the name of the index template for prefix.
func TemplateName(prefix string) string { return prefix }

// IndexTemplate returns the composable index template for the daily indices of prefix: explicit
// mappings for every ECS field the documents carry. The root is dynamic:false, so a field we do
// not declare is kept in _source but never indexed and can never cause a mapping conflict;
// tracee.event is stored only, tracee.args is one flattened field.
// replicas < 0 leaves the cluster's default number of replicas.
func IndexTemplate(prefix string, replicas int) []byte {
	settings := map[string]interface{}{"index.number_of_shards": 1}
	if replicas >= 0 {
		settings["index.number_of_replicas"] = replicas
	}
	t := map[string]interface{}{
		"index_patterns": []string{IndexPattern(prefix)},
		"priority":       200,
		"_meta":          map[string]interface{}{"managed_by": "tracee", "ecs_version": ECSVersion},
		"template": map[string]interface{}{
			"settings": settings,
			"mappings": map[string]interface{}{
				"dynamic":    false,
				"properties": templateProperties(),
			},
		},
	}
	b, err := json.Marshal(t)
	if err != nil { // a constant structure: cannot fail
		panic(err)
	}
	return b
}

// Mapping types, for the template and for tests that check what the cluster applied.
var (
	mKeyword = map[string]interface{}{"type": "keyword", "ignore_above": 1024}
	mLong    = map[string]interface{}{"type": "long"}
	mDate    = map[string]interface{}{"type": "date"}
	mIP      = map[string]interface{}{"type": "ip"}
	mText    = map[string]interface{}{"type": "text"}
	// ECS keyword fields that free text also searches: a keyword with an analysed .text.
	mKeywordText = map[string]interface{}{"type": "keyword", "ignore_above": 1024,
		"fields": map[string]interface{}{"text": mText}}
	// wildcard would be ECS's choice for paths and names but is not in every distribution.
	mPath = map[string]interface{}{"type": "keyword", "ignore_above": 4096,
		"fields": map[string]interface{}{"text": mText}}
)

func obj(props map[string]interface{}) map[string]interface{} {
	return map[string]interface{}{"properties": props}
}

func templateProperties() map[string]interface{} {
	nameID := map[string]interface{}{"id": mKeyword, "name": mKeyword, "reference": mKeyword}
	technique := obj(map[string]interface{}{"id": mKeyword, "name": mKeyword, "reference": mKeyword,
		"subtechnique": obj(nameID)})
	return map[string]interface{}{
		"@timestamp": mDate,
		"message":    mText,
		"tags":       mKeyword,
		"ecs":        obj(map[string]interface{}{"version": mKeyword}),
		"agent":      obj(map[string]interface{}{"id": mKeyword, "name": mKeyword, "type": mKeyword, "version": mKeyword}),
		"event": obj(map[string]interface{}{
			"id": mKeyword, "kind": mKeyword, "category": mKeyword, "type": mKeyword,
			"action": mKeyword, "code": mKeyword, "severity": mLong, "module": mKeyword,
			"provider": mKeyword, "dataset": mKeyword, "created": mDate,
		}),
		"rule": obj(map[string]interface{}{
			"id": mKeyword, "name": mKeyword, "description": mKeywordText, "version": mKeyword,
			"category": mKeyword, "ruleset": mKeyword,
		}),
		"threat": obj(map[string]interface{}{
			"framework": mKeyword, "technique": technique, "tactic": obj(nameID),
		}),
		"process": obj(map[string]interface{}{
			"pid": mLong, "name": mKeyword, "executable": mPath, "args": mKeyword,
			"entity_id": mKeyword,
			"thread":    obj(map[string]interface{}{"id": mLong}),
			"parent":    obj(map[string]interface{}{"pid": mLong, "entity_id": mKeyword}),
		}),
		"user": obj(map[string]interface{}{"id": mKeyword}),
		"host": obj(map[string]interface{}{"name": mKeyword, "hostname": mKeyword}),
		"container": obj(map[string]interface{}{
			"id": mKeyword, "name": mKeyword,
			"image": obj(map[string]interface{}{"name": mKeyword, "tag": mKeyword,
				"hash": obj(map[string]interface{}{"all": mKeyword})}),
		}),
		"orchestrator": obj(map[string]interface{}{
			"type": mKeyword, "namespace": mKeyword,
			"resource": obj(map[string]interface{}{"type": mKeyword, "name": mKeyword, "id": mKeyword}),
		}),
		"file":        obj(map[string]interface{}{"path": mPath}),
		"destination": obj(map[string]interface{}{"ip": mIP, "port": mLong}),
		"tracee": obj(map[string]interface{}{
			"event": map[string]interface{}{"type": "object", "enabled": false},
			"args": map[string]interface{}{"type": "flattened", "ignore_above": 4096,
				"depth_limit": 20},
			"trigger_event": mKeyword,
			"host_name":     mKeyword,
			"attack_id":     mKeyword,
			"rejected": obj(map[string]interface{}{
				"field": mKeyword, "value": mText, "reason": mText,
			}),
		}),
	}
}
