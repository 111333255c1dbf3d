/// The JSON Schema (draft 2020-12) of a job file, for editors' YAML language
/// servers. It accepts what `JobFileParser` accepts, except what a schema
/// cannot see: cron syntax, time zone names, `${VAR}` syntax, `after` targets
/// and chain cycles, and the file-level limits of `YAMLReader`.
package enum JobSchema {
    package static let text = #"""
    {
      "$schema": "https://json-schema.org/draft/2020-12/schema",
      "$id": "https://jobdir.invalid/schema/job/v1.json",
      "title": "jobdir job file",
      "description": "One job: a command and the triggers that run it.",
      "type": "object",
      "required": ["command"],
      "additionalProperties": false,
      "properties": {
        "description": {"type": "string", "description": "Shown by list and status."},
        "command": {
          "description": "A string runs as SHELL -c STRING; a list is an argv run directly, no shell.",
          "oneOf": [
            {"type": "string", "minLength": 1},
            {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/scalar"}}
          ]
        },
        "shell": {"type": "string", "pattern": "^/", "description": "Absolute path of the shell for string commands (default /bin/sh)."},
        "workdir": {"type": "string", "minLength": 1, "description": "Working directory (default: the job file's directory)."},
        "env": {
          "type": "object",
          "description": "Added to the environment; ${VAR} expands from the daemon's environment, $$ is a literal $.",
          "propertyNames": {"pattern": "^[A-Za-z_][A-Za-z0-9_]*$", "not": {"pattern": "^JOBDIR_"}},
          "additionalProperties": {"$ref": "#/$defs/scalar"}
        },
        "env_file": {"$ref": "#/$defs/stringOrList", "description": "KEY=VALUE files read at each run."},
        "schedule": {"$ref": "#/$defs/stringOrList", "description": "Cron expressions, @hourly ... @yearly, @every DURATION, @reboot."},
        "timezone": {"type": "string", "minLength": 1, "description": "IANA zone for schedule (default: the daemon's local zone)."},
        "every": {"$ref": "#/$defs/positiveDuration", "description": "Fixed interval anchored at the time the job was first seen."},
        "at": {
          "description": "One-shot times, RFC 3339 with an offset.",
          "oneOf": [
            {"$ref": "#/$defs/timestamp"},
            {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/timestamp"}}
          ]
        },
        "watch": {
          "type": "object",
          "description": "File-change trigger.",
          "required": ["paths"],
          "additionalProperties": false,
          "properties": {
            "paths": {"$ref": "#/$defs/stringOrList"},
            "events": {
              "oneOf": [
                {"$ref": "#/$defs/watchEvent"},
                {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/watchEvent"}}
              ]
            },
            "debounce": {"$ref": "#/$defs/duration"}
          }
        },
        "after": {
          "description": "Run after another job's execution ends.",
          "oneOf": [
            {"$ref": "#/$defs/afterLink"},
            {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/afterLink"}}
          ]
        },
        "enabled": {"type": "boolean"},
        "timeout": {"$ref": "#/$defs/positiveDuration"},
        "kill_grace": {"$ref": "#/$defs/duration"},
        "retries": {
          "oneOf": [
            {"type": "integer", "minimum": 0, "maximum": 1000},
            {
              "type": "object",
              "additionalProperties": false,
              "properties": {
                "max": {"type": "integer", "minimum": 0, "maximum": 1000},
                "backoff": {"$ref": "#/$defs/duration"},
                "max_backoff": {"$ref": "#/$defs/duration"}
              }
            }
          ]
        },
        "overlap": {"enum": ["skip", "queue", "allow", "replace"]},
        "max_queued": {"type": "integer", "minimum": 1, "maximum": 10000},
        "pool": {"$ref": "#/$defs/name"},
        "catchup": {"enum": ["none", "latest", "all"]},
        "max_catchup": {"type": "integer", "minimum": 1, "maximum": 100000},
        "starting_deadline": {"$ref": "#/$defs/positiveDuration"},
        "approval": {
          "oneOf": [
            {"const": "required"},
            {
              "type": "object",
              "additionalProperties": false,
              "properties": {
                "approvers": {
                  "oneOf": [
                    {"$ref": "#/$defs/approver"},
                    {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/approver"}}
                  ]
                },
                "timeout": {"$ref": "#/$defs/positiveDuration"}
              }
            }
          ]
        },
        "output": {
          "type": "object",
          "additionalProperties": false,
          "properties": {"max_bytes": {"$ref": "#/$defs/size"}}
        },
        "history": {
          "type": "object",
          "additionalProperties": false,
          "properties": {
            "keep": {"type": "integer", "minimum": 1, "maximum": 1000000},
            "max_age": {"$ref": "#/$defs/positiveDuration"}
          }
        },
        "labels": {"type": "object", "additionalProperties": {"$ref": "#/$defs/scalar"}},
        "fleet": {"description": "With `jobdir run --fleet`: once (one healthy host runs each occurrence) or every (each host runs it).", "enum": ["once", "every"]},
        "hosts": {"description": "With `jobdir run --fleet`: the labels a host must have (`--host-label`) to run the job.", "type": "object", "propertyNames": {"pattern": "^[A-Za-z0-9][A-Za-z0-9._/-]{0,62}$"}, "additionalProperties": {"$ref": "#/$defs/scalar"}},
        "notify": {
          "type": "object",
          "description": "Who is told when an execution ends: command (record on stdin), webhook (POST of the record), mail (sendmail -t).",
          "additionalProperties": false,
          "anyOf": [{"required": ["command"]}, {"required": ["webhook"]}, {"required": ["mail"]}],
          "properties": {
            "on": {
              "oneOf": [
                {"$ref": "#/$defs/notifyEvent"},
                {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/notifyEvent"}}
              ]
            },
            "command": {
              "oneOf": [
                {"type": "string", "minLength": 1},
                {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/scalar"}}
              ]
            },
            "webhook": {"$ref": "#/$defs/httpURL"},
            "headers": {
              "type": "object",
              "propertyNames": {"pattern": "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$"},
              "additionalProperties": {"$ref": "#/$defs/scalar"}
            },
            "mail": {
              "oneOf": [
                {"$ref": "#/$defs/mailAddress"},
                {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/mailAddress"}}
              ]
            }
          }
        },
        "ping": {"$ref": "#/$defs/httpURL", "description": "healthchecks.io style: URL/start on start, URL on success (body: output tail), URL/fail on failure."},
        "user": {"$ref": "#/$defs/principal", "description": "Run as this user (name or uid); only a root-owned file may name someone other than its owner."},
        "group": {"$ref": "#/$defs/principal", "description": "Run with this primary group (name or gid)."},
        "umask": {
          "description": "File mode creation mask, octal (default 022).",
          "oneOf": [
            {"type": "string", "pattern": "^[0-7]{1,4}$"},
            {"type": "integer", "minimum": 0, "maximum": 7777}
          ]
        },
        "limits": {
          "type": "object",
          "description": "Resource limits of the command and its children.",
          "additionalProperties": false,
          "properties": {
            "memory": {"$ref": "#/$defs/size"},
            "cpu_time": {"$ref": "#/$defs/positiveDuration"},
            "open_files": {"type": "integer", "minimum": 3, "maximum": 1048576},
            "processes": {"type": "integer", "minimum": 1, "maximum": 4194304},
            "file_size": {"$ref": "#/$defs/size"},
            "core": {"oneOf": [{"const": 0}, {"$ref": "#/$defs/size"}]},
            "nice": {"type": "integer", "minimum": -20, "maximum": 19},
            "io": {"type": "string", "pattern": "^(idle|(best-effort|realtime)(:[0-7])?)$"}
          }
        },
        "operators": {
          "description": "Users and @groups who may trigger and cancel the job besides its owner and root.",
          "oneOf": [
            {"$ref": "#/$defs/approver"},
            {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/approver"}}
          ]
        }
      },
      "$defs": {
        "scalar": {"type": ["string", "number", "boolean"]},
        "stringOrList": {
          "oneOf": [
            {"type": "string", "minLength": 1},
            {"type": "array", "minItems": 1, "items": {"type": "string", "minLength": 1}}
          ]
        },
        "duration": {
          "oneOf": [
            {"type": "integer", "minimum": 0},
            {"type": "string", "pattern": "^(([0-9]+(ms|s|m|h|d))+|[0-9]+)$"}
          ]
        },
        "positiveDuration": {
          "allOf": [
            {"$ref": "#/$defs/duration"},
            {"not": {"const": 0}},
            {"not": {"type": "string", "pattern": "^((0+(ms|s|m|h|d))+|0+)$"}}
          ]
        },
        "size": {
          "oneOf": [
            {"type": "integer", "minimum": 1},
            {"type": "string", "pattern": "^[0-9]*[1-9][0-9]*(B|KiB|MiB|GiB)?$"}
          ]
        },
        "timestamp": {
          "type": "string",
          "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})$"
        },
        "name": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"},
        "jobID": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}(/[A-Za-z0-9][A-Za-z0-9._-]{0,63})*$"},
        "afterLink": {
          "oneOf": [
            {"$ref": "#/$defs/jobID"},
            {
              "type": "object",
              "required": ["job"],
              "additionalProperties": false,
              "properties": {
                "job": {"$ref": "#/$defs/jobID"},
                "on": {"enum": ["success", "failure", "always"]}
              }
            }
          ]
        },
        "watchEvent": {"enum": ["create", "modify", "delete", "move"]},
        "notifyEvent": {"enum": ["failure", "recovery", "success", "always", "skipped"]},
        "httpURL": {"type": "string", "pattern": "^[Hh][Tt][Tt][Pp][Ss]?://[^/?#\\s]+"},
        "mailAddress": {"type": "string", "pattern": "^[^-\\s,<>][^\\s,<>]*$"},
        "approver": {"type": "string", "pattern": "^@?[^\\s:/@][^\\s:/]*$"},
        "principal": {
          "oneOf": [
            {"type": "string", "pattern": "^[A-Za-z0-9._$][A-Za-z0-9._$-]{0,63}$"},
            {"type": "integer", "minimum": 0}
          ]
        }
      }
    }
    """#
}
