/// The OpenAPI 3 document of the API (`GET /api/v1/openapi.json`): keep it in step with the
/// routes (API.swift) and the JSON they write; HTTPToolingTests runs schemathesis against the
/// running server with it, and fails on any mismatch.
enum OpenAPIDocument {
    static let bytes: [UInt8] = Array(text.utf8)

    static let text = #"""
        {
         "openapi": "3.0.3",
         "info": {
          "title": "Kiln gateway API",
          "version": "1"
         },
         "components": {
          "securitySchemes": {
           "bearer": {
            "type": "http",
            "scheme": "bearer"
           }
          },
          "schemas": {
           "Error": {
            "type": "object",
            "required": [
             "error"
            ],
            "properties": {
             "error": {
              "type": "string"
             }
            }
           },
           "Health": {
            "type": "object",
            "required": [
             "status"
            ],
            "properties": {
             "status": {
              "type": "string",
              "enum": [
               "ok"
              ]
             }
            }
           },
           "Ready": {
            "type": "object",
            "required": [
             "ready",
             "checks"
            ],
            "properties": {
             "ready": {
              "type": "boolean"
             },
             "checks": {
              "type": "object",
              "required": [
               "config",
               "historian",
               "pollers"
              ],
              "properties": {
               "config": {
                "type": "boolean"
               },
               "historian": {
                "type": "boolean"
               },
               "pollers": {
                "type": "boolean"
               }
              }
             }
            }
           },
           "Status": {
            "type": "object",
            "required": [
             "version",
             "started_at",
             "uptime_s",
             "devices",
             "tags",
             "pollers",
             "historian",
             "alarms_active",
             "remediations_pending"
            ],
            "properties": {
             "version": {
              "type": "string"
             },
             "started_at": {
              "type": "string",
              "format": "date-time"
             },
             "uptime_s": {
              "type": "integer",
              "minimum": 0
             },
             "devices": {
              "type": "integer",
              "minimum": 0
             },
             "tags": {
              "type": "integer",
              "minimum": 0
             },
             "pollers": {
              "type": "string",
              "enum": [
               "running",
               "stalled"
              ]
             },
             "historian": {
              "type": "object",
              "nullable": true,
              "required": [
               "path",
               "writable"
              ],
              "properties": {
               "path": {
                "type": "string"
               },
               "writable": {
                "type": "boolean"
               }
              }
             },
             "alarms_active": {
              "type": "integer",
              "minimum": 0
             },
             "remediations_pending": {
              "type": "integer",
              "minimum": 0
             }
            }
           },
           "Value": {
            "nullable": true,
            "oneOf": [
             {
              "type": "number"
             },
             {
              "type": "boolean"
             },
             {
              "type": "string"
             }
            ]
           },
           "Tag": {
            "type": "object",
            "required": [
             "device",
             "tag",
             "unit",
             "poll_ms",
             "value",
             "raw",
             "status",
             "status_code",
             "quality",
             "fault",
             "reason",
             "timestamp",
             "age_ms"
            ],
            "properties": {
             "device": {
              "type": "string"
             },
             "tag": {
              "type": "string"
             },
             "unit": {
              "type": "string",
              "nullable": true
             },
             "poll_ms": {
              "type": "integer",
              "minimum": 0
             },
             "value": {
              "$ref": "#/components/schemas/Value"
             },
             "raw": {
              "$ref": "#/components/schemas/Value"
             },
             "status": {
              "type": "string"
             },
             "status_code": {
              "type": "integer",
              "minimum": 0,
              "maximum": 4294967295
             },
             "quality": {
              "type": "string",
              "enum": [
               "good",
               "uncertain",
               "bad"
              ]
             },
             "fault": {
              "type": "string",
              "enum": [
               "none",
               "comm",
               "range",
               "spike",
               "rate",
               "stuck",
               "stale"
              ]
             },
             "reason": {
              "type": "string",
              "nullable": true
             },
             "timestamp": {
              "type": "string",
              "format": "date-time",
              "nullable": true
             },
             "age_ms": {
              "type": "integer",
              "minimum": 0,
              "nullable": true
             }
            }
           },
           "Tags": {
            "type": "object",
            "required": [
             "generated_at",
             "tags"
            ],
            "properties": {
             "generated_at": {
              "type": "string",
              "format": "date-time"
             },
             "tags": {
              "type": "array",
              "items": {
               "$ref": "#/components/schemas/Tag"
              }
             }
            }
           },
           "Point": {
            "type": "object",
            "required": [
             "t",
             "value",
             "status",
             "quality"
            ],
            "properties": {
             "t": {
              "type": "string",
              "format": "date-time"
             },
             "value": {
              "type": "number",
              "nullable": true
             },
             "status": {
              "type": "string"
             },
             "quality": {
              "type": "string",
              "enum": [
               "good",
               "uncertain",
               "bad"
              ]
             }
            }
           },
           "History": {
            "type": "object",
            "required": [
             "device",
             "tag",
             "unit",
             "from",
             "to",
             "every",
             "agg",
             "points"
            ],
            "properties": {
             "device": {
              "type": "string"
             },
             "tag": {
              "type": "string"
             },
             "unit": {
              "type": "string",
              "nullable": true
             },
             "from": {
              "type": "string",
              "format": "date-time"
             },
             "to": {
              "type": "string",
              "format": "date-time"
             },
             "every": {
              "type": "string",
              "nullable": true
             },
             "agg": {
              "type": "string",
              "nullable": true,
              "enum": [
               "first",
               "last",
               "min",
               "max",
               "avg",
               "count",
               "twa",
               "interpolated",
               null
              ]
             },
             "points": {
              "type": "array",
              "items": {
               "$ref": "#/components/schemas/Point"
              }
             }
            }
           },
           "Alarm": {
            "type": "object",
            "required": [
             "id",
             "name",
             "device",
             "tag",
             "kind",
             "severity",
             "state",
             "active",
             "acked",
             "shelved",
             "shelved_until",
             "suppressed",
             "since",
             "value",
             "limit",
             "episode"
            ],
            "properties": {
             "id": {
              "type": "string"
             },
             "name": {
              "type": "string"
             },
             "device": {
              "type": "string",
              "nullable": true
             },
             "tag": {
              "type": "string",
              "nullable": true
             },
             "kind": {
              "type": "string"
             },
             "severity": {
              "type": "string"
             },
             "state": {
              "type": "string"
             },
             "active": {
              "type": "boolean"
             },
             "acked": {
              "type": "boolean"
             },
             "shelved": {
              "type": "boolean"
             },
             "shelved_until": {
              "type": "string",
              "format": "date-time",
              "nullable": true
             },
             "suppressed": {
              "type": "boolean"
             },
             "since": {
              "type": "string",
              "format": "date-time",
              "nullable": true
             },
             "value": {
              "type": "number",
              "nullable": true
             },
             "limit": {
              "type": "string",
              "nullable": true
             },
             "episode": {
              "type": "string",
              "nullable": true
             }
            }
           },
           "Alarms": {
            "type": "object",
            "required": [
             "alarms"
            ],
            "properties": {
             "alarms": {
              "type": "array",
              "items": {
               "$ref": "#/components/schemas/Alarm"
              }
             }
            }
           },
           "Shelve": {
            "type": "object",
            "additionalProperties": false,
            "properties": {
             "for": {
              "type": "string",
              "pattern": "^(([1-9]|[1-5][0-9])(s|m)|([1-9]|1[0-9]|2[0-4])h)$"
             },
             "reason": {
              "type": "string",
              "maxLength": 200
             }
            }
           },
           "Run": {
            "type": "object",
            "required": [
             "id",
             "rule",
             "host",
             "alarm",
             "episode",
             "attempt",
             "state",
             "outcome",
             "mode",
             "argv",
             "created_at",
             "due_at",
             "started_at",
             "ended_at",
             "exit_code",
             "decided_by",
             "note",
             "detail"
            ],
            "properties": {
             "id": {
              "type": "integer"
             },
             "rule": {
              "type": "string"
             },
             "host": {
              "type": "string"
             },
             "alarm": {
              "type": "string"
             },
             "episode": {
              "type": "string"
             },
             "attempt": {
              "type": "integer"
             },
             "state": {
              "type": "string"
             },
             "outcome": {
              "type": "string",
              "nullable": true
             },
             "mode": {
              "type": "string"
             },
             "argv": {
              "type": "array",
              "items": {
               "type": "string"
              }
             },
             "created_at": {
              "type": "string",
              "format": "date-time"
             },
             "due_at": {
              "type": "string",
              "format": "date-time"
             },
             "started_at": {
              "type": "string",
              "format": "date-time",
              "nullable": true
             },
             "ended_at": {
              "type": "string",
              "format": "date-time",
              "nullable": true
             },
             "exit_code": {
              "type": "integer",
              "nullable": true
             },
             "decided_by": {
              "type": "string",
              "nullable": true
             },
             "note": {
              "type": "string",
              "nullable": true
             },
             "detail": {
              "type": "string",
              "nullable": true
             }
            }
           },
           "Runs": {
            "type": "object",
            "required": [
             "runs"
            ],
            "properties": {
             "runs": {
              "type": "array",
              "items": {
               "$ref": "#/components/schemas/Run"
              }
             }
            }
           }
          },
          "responses": {
           "Unauthorized": {
            "content": {
             "application/json": {
              "schema": {
               "$ref": "#/components/schemas/Error"
              }
             }
            },
            "description": "Missing or unknown token",
            "headers": {
             "WWW-Authenticate": {
              "schema": {
               "type": "string"
              }
             }
            }
           },
           "BadRequest": {
            "content": {
             "application/json": {
              "schema": {
               "$ref": "#/components/schemas/Error"
              }
             }
            },
            "description": "A bad parameter"
           },
           "NotFound": {
            "content": {
             "application/json": {
              "schema": {
               "$ref": "#/components/schemas/Error"
              }
             }
            },
            "description": "No such tag, alarm or run"
           },
           "NotReady": {
            "content": {
             "application/json": {
              "schema": {
               "$ref": "#/components/schemas/Error"
              }
             }
            },
            "description": "The historian cannot be read"
           },
           "Conflict": {
            "content": {
             "application/json": {
              "schema": {
               "$ref": "#/components/schemas/Error"
              }
             }
            },
            "description": "The state does not allow the command"
           }
          },
          "parameters": {
           "AlarmId": {
            "in": "path",
            "name": "id",
            "required": true,
            "schema": {
             "pattern": "^[A-Za-z0-9_.:/-]{1,200}$",
             "type": "string"
            }
           },
           "RunId": {
            "in": "path",
            "name": "id",
            "required": true,
            "schema": {
             "maximum": 9007199254740991,
             "minimum": 1,
             "type": "integer"
            }
           }
          }
         },
         "security": [
          {
           "bearer": []
          }
         ],
         "paths": {
          "/healthz": {
           "get": {
            "summary": "Alive",
            "operationId": "healthz",
            "responses": {
             "200": {
              "description": "OK",
              "content": {
               "application/json": {
                "schema": {
                 "$ref": "#/components/schemas/Health"
                }
               }
              }
             }
            },
            "security": []
           }
          },
          "/readyz": {
           "get": {
            "summary": "Ready: config loaded, historian writable, pollers running",
            "operationId": "readyz",
            "responses": {
             "200": {
              "description": "OK",
              "content": {
               "application/json": {
                "schema": {
                 "$ref": "#/components/schemas/Ready"
                }
               }
              }
             },
             "503": {
              "description": "Not ready",
              "content": {
               "application/json": {
                "schema": {
                 "$ref": "#/components/schemas/Ready"
                }
               }
              }
             }
            },
            "security": []
           }
          },
          "/metrics": {
           "get": {
            "summary": "Prometheus metrics (text format 0.0.4)",
            "operationId": "metrics",
            "responses": {
             "200": {
              "description": "OK",
              "content": {
               "text/plain": {
                "schema": {
                 "type": "string"
                }
               }
              }
             },
             "401": {
              "$ref": "#/components/responses/Unauthorized"
             }
            }
           }
          },
          "/api/v1/status": {
           "get": {
            "summary": "The gateway's health",
            "operationId": "status",
            "responses": {
             "200": {
              "description": "OK",
              "content": {
               "application/json": {
                "schema": {
                 "$ref": "#/components/schemas/Status"
                }
               }
              }
             },
             "401": {
              "$ref": "#/components/responses/Unauthorized"
             }
            }
           }
          },
          "/api/v1/tags": {
           "get": {
            "summary": "Every tag's latest value, from a snapshot at most 100 ms old",
            "operationId": "tags",
            "responses": {
             "200": {
              "description": "OK",
              "content": {
               "application/json": {
                "schema": {
                 "$ref": "#/components/schemas/Tags"
                }
               }
              }
             },
             "401": {
              "$ref": "#/components/responses/Unauthorized"
             }
            }
           }
          },
          "/api/v1/tags/{device}/{tag}/history": {
           "get": {
            "summary": "A tag's history: raw points, or one per interval with every",
            "operationId": "history",
            "responses": {
             "200": {
              "description": "OK",
              "content": {
               "application/json": {
                "schema": {
                 "$ref": "#/components/schemas/History"
                }
               }
              }
             },
             "400": {
              "$ref": "#/components/responses/BadRequest"
             },
             "401": {
              "$ref": "#/components/responses/Unauthorized"
             },
             "404": {
              "$ref": "#/components/responses/NotFound"
             },
             "503": {
              "$ref": "#/components/responses/NotReady"
             }
            },
            "parameters": [
             {
              "name": "device",
              "in": "path",
              "required": true,
              "schema": {
               "type": "string",
               "minLength": 1
              }
             },
             {
              "name": "tag",
              "in": "path",
              "required": true,
              "schema": {
               "type": "string",
               "minLength": 1
              }
             },
             {
              "name": "from",
              "in": "query",
              "required": false,
              "schema": {
               "type": "string",
               "pattern": "^(now|[-+][0-9]{1,6}(us|ms|s|m|h|d|w)|20[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])(T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]{1,6})?Z)?)$"
              },
              "description": "RFC 3339, a date, now, or relative (-15m); default -1h"
             },
             {
              "name": "to",
              "in": "query",
              "required": false,
              "schema": {
               "type": "string",
               "pattern": "^(now|[-+][0-9]{1,6}(us|ms|s|m|h|d|w)|20[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])(T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]{1,6})?Z)?)$"
              },
              "description": "default now"
             },
             {
              "name": "every",
              "in": "query",
              "required": false,
              "schema": {
               "type": "string",
               "pattern": "^[0-9]{1,4}(ms|s|m|h|d|w)$"
              },
              "description": "interval length; raw points without it"
             },
             {
              "name": "agg",
              "in": "query",
              "required": false,
              "schema": {
               "type": "string",
               "enum": [
                "first",
                "last",
                "min",
                "max",
                "avg",
                "count",
                "twa",
                "interpolated"
               ]
              },
              "description": "with every; default avg"
             }
            ]
           }
          },
          "/api/v1/export": {
           "get": {
            "summary": "kiln export, streamed",
            "operationId": "export",
            "responses": {
             "200": {
              "description": "The export",
              "content": {
               "text/csv": {
                "schema": {
                 "type": "string"
                }
               },
               "application/x-ndjson": {
                "schema": {
                 "type": "string"
                }
               },
               "text/plain": {
                "schema": {
                 "type": "string"
                }
               }
              }
             },
             "400": {
              "$ref": "#/components/responses/BadRequest"
             },
             "401": {
              "$ref": "#/components/responses/Unauthorized"
             },
             "404": {
              "$ref": "#/components/responses/NotFound"
             },
             "503": {
              "$ref": "#/components/responses/NotReady"
             }
            },
            "parameters": [
             {
              "name": "from",
              "in": "query",
              "required": true,
              "schema": {
               "type": "string",
               "pattern": "^(now|[-+][0-9]{1,6}(us|ms|s|m|h|d|w)|20[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])(T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]{1,6})?Z)?)$"
              }
             },
             {
              "name": "to",
              "in": "query",
              "required": false,
              "schema": {
               "type": "string",
               "pattern": "^(now|[-+][0-9]{1,6}(us|ms|s|m|h|d|w)|20[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])(T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]{1,6})?Z)?)$"
              }
             },
             {
              "name": "tag",
              "in": "query",
              "required": false,
              "schema": {
               "type": "array",
               "items": {
                "type": "string"
               }
              },
              "description": "DEVICE/TAG or a glob; repeatable; default every tag",
              "style": "form",
              "explode": true
             },
             {
              "name": "every",
              "in": "query",
              "required": false,
              "schema": {
               "type": "string",
               "pattern": "^[0-9]{1,4}(ms|s|m|h|d|w)$"
              }
             },
             {
              "name": "offset",
              "in": "query",
              "required": false,
              "schema": {
               "type": "string",
               "pattern": "^[-+]?[0-9]{1,4}(ms|s|m|h|d)$"
              }
             },
             {
              "name": "agg",
              "in": "query",
              "required": false,
              "schema": {
               "type": "string",
               "pattern": "^(first|last|min|max|avg|count|twa|interpolated)(,(first|last|min|max|avg|count|twa|interpolated))*$"
              }
             },
             {
              "name": "format",
              "in": "query",
              "required": false,
              "schema": {
               "type": "string",
               "enum": [
                "csv",
                "jsonl",
                "influx"
               ]
              }
             }
            ]
           }
          },
          "/api/v1/alarms": {
           "get": {
            "summary": "Every alarm, active or unacknowledged first",
            "operationId": "alarms",
            "responses": {
             "200": {
              "description": "OK",
              "content": {
               "application/json": {
                "schema": {
                 "$ref": "#/components/schemas/Alarms"
                }
               }
              }
             },
             "401": {
              "$ref": "#/components/responses/Unauthorized"
             }
            }
           }
          },
          "/api/v1/alarms/{id}/ack": {
           "post": {
            "summary": "Acknowledge an alarm (the id percent-encoded as one segment)",
            "operationId": "ackAlarm",
            "responses": {
             "200": {
              "description": "OK",
              "content": {
               "application/json": {
                "schema": {
                 "$ref": "#/components/schemas/Alarm"
                }
               }
              }
             },
             "400": {
              "$ref": "#/components/responses/BadRequest"
             },
             "401": {
              "$ref": "#/components/responses/Unauthorized"
             },
             "404": {
              "$ref": "#/components/responses/NotFound"
             },
             "409": {
              "$ref": "#/components/responses/Conflict"
             }
            },
            "parameters": [
             {
              "$ref": "#/components/parameters/AlarmId"
             }
            ]
           }
          },
          "/api/v1/alarms/{id}/shelve": {
           "post": {
            "summary": "Shelve an alarm",
            "operationId": "shelveAlarm",
            "responses": {
             "200": {
              "description": "OK",
              "content": {
               "application/json": {
                "schema": {
                 "$ref": "#/components/schemas/Alarm"
                }
               }
              }
             },
             "400": {
              "$ref": "#/components/responses/BadRequest"
             },
             "401": {
              "$ref": "#/components/responses/Unauthorized"
             },
             "404": {
              "$ref": "#/components/responses/NotFound"
             },
             "409": {
              "$ref": "#/components/responses/Conflict"
             }
            },
            "parameters": [
             {
              "$ref": "#/components/parameters/AlarmId"
             }
            ],
            "requestBody": {
             "required": false,
             "content": {
              "application/json": {
               "schema": {
                "$ref": "#/components/schemas/Shelve"
               }
              }
             }
            }
           }
          },
          "/api/v1/alarms/{id}/unshelve": {
           "post": {
            "summary": "Unshelve an alarm",
            "operationId": "unshelveAlarm",
            "responses": {
             "200": {
              "description": "OK",
              "content": {
               "application/json": {
                "schema": {
                 "$ref": "#/components/schemas/Alarm"
                }
               }
              }
             },
             "400": {
              "$ref": "#/components/responses/BadRequest"
             },
             "401": {
              "$ref": "#/components/responses/Unauthorized"
             },
             "404": {
              "$ref": "#/components/responses/NotFound"
             },
             "409": {
              "$ref": "#/components/responses/Conflict"
             }
            },
            "parameters": [
             {
              "$ref": "#/components/parameters/AlarmId"
             }
            ]
           }
          },
          "/api/v1/remediations": {
           "get": {
            "summary": "Remediation runs not done",
            "operationId": "remediations",
            "responses": {
             "200": {
              "description": "OK",
              "content": {
               "application/json": {
                "schema": {
                 "$ref": "#/components/schemas/Runs"
                }
               }
              }
             },
             "401": {
              "$ref": "#/components/responses/Unauthorized"
             }
            }
           }
          },
          "/api/v1/remediations/{id}/approve": {
           "post": {
            "summary": "Approve a run awaiting approval",
            "operationId": "approveRemediation",
            "responses": {
             "200": {
              "description": "OK",
              "content": {
               "application/json": {
                "schema": {
                 "$ref": "#/components/schemas/Run"
                }
               }
              }
             },
             "400": {
              "$ref": "#/components/responses/BadRequest"
             },
             "401": {
              "$ref": "#/components/responses/Unauthorized"
             },
             "404": {
              "$ref": "#/components/responses/NotFound"
             },
             "409": {
              "$ref": "#/components/responses/Conflict"
             }
            },
            "parameters": [
             {
              "$ref": "#/components/parameters/RunId"
             }
            ]
           }
          },
          "/api/v1/remediations/{id}/reject": {
           "post": {
            "summary": "Reject a run awaiting approval",
            "operationId": "rejectRemediation",
            "responses": {
             "200": {
              "description": "OK",
              "content": {
               "application/json": {
                "schema": {
                 "$ref": "#/components/schemas/Run"
                }
               }
              }
             },
             "400": {
              "$ref": "#/components/responses/BadRequest"
             },
             "401": {
              "$ref": "#/components/responses/Unauthorized"
             },
             "404": {
              "$ref": "#/components/responses/NotFound"
             },
             "409": {
              "$ref": "#/components/responses/Conflict"
             }
            },
            "parameters": [
             {
              "$ref": "#/components/parameters/RunId"
             }
            ]
           }
          },
          "/api/v1/openapi.json": {
           "get": {
            "summary": "This document",
            "operationId": "openapi",
            "responses": {
             "200": {
              "description": "OK",
              "content": {
               "application/json": {
                "schema": {
                 "type": "object"
                }
               }
              }
             },
             "401": {
              "$ref": "#/components/responses/Unauthorized"
             }
            }
           }
          }
         }
        }
        """#
}
