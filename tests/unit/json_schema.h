/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Checks a JSON object against a schema of docs/json.md: exactly these
 * keys, each of one of the allowed types. For the unit tests only.
 */
#ifndef XG_TEST_JSON_SCHEMA_H
#define XG_TEST_JSON_SCHEMA_H

#include <json-c/json.h>

enum {
	J_NULL = 1 << 0,
	J_BOOL = 1 << 1,
	J_INT = 1 << 2,
	J_NUM = 1 << 3, /* a double, or an int */
	J_STR = 1 << 4,
	J_OBJ = 1 << 5,
	J_ARR = 1 << 6,
};

struct jfield {
	const char *key;
	int types;
};

static inline int jtype(json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_null:
		return J_NULL;
	case json_type_boolean:
		return J_BOOL;
	case json_type_int:
		return J_INT | J_NUM;
	case json_type_double:
		return J_NUM;
	case json_type_string:
		return J_STR;
	case json_type_object:
		return J_OBJ;
	case json_type_array:
		return J_ARR;
	}
	return 0;
}

#define check_schema(o, f) check_schema_n(o, f, sizeof(f) / sizeof((f)[0]))

static inline void check_schema_n(json_object *o, const struct jfield *f,
				  size_t n)
{
	size_t i, nkeys = 0;

	assert_true(json_object_is_type(o, json_type_object));
	json_object_object_foreach(o, key, val)
	{
		for (i = 0; i < n; i++)
			if (!strcmp(f[i].key, key))
				break;
		if (i == n)
			fail_msg("unexpected key \"%s\" in %s", key,
				 json_object_to_json_string(o));
		if (!(jtype(val) & f[i].types))
			fail_msg("key \"%s\" has the wrong type in %s", key,
				 json_object_to_json_string(o));
		nkeys++;
	}
	if (nkeys != n) {
		for (i = 0; i < n; i++)
			if (!json_object_object_get_ex(o, f[i].key, NULL))
				fail_msg("missing key \"%s\" in %s", f[i].key,
					 json_object_to_json_string(o));
	}
}

#endif /* XG_TEST_JSON_SCHEMA_H */
