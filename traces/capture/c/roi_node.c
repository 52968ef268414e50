/* memento_roi.node: the markers of memento_roi.h as a Node-API addon
 * (Node has no FFI of its own). Built from this file and roi.c. */
#include <node_api.h>
#include "memento_roi.h"

static napi_value roi_begin(napi_env env, napi_callback_info info)
{
   memento_roi_begin();
   return NULL;
}

static napi_value roi_end(napi_env env, napi_callback_info info)
{
   memento_roi_end();
   return NULL;
}

/* The invocation id: the first argument as an integer, 0 when absent. */
static unsigned long long id_arg(napi_env env, napi_callback_info info)
{
   size_t argc = 1;
   napi_value argv[1];
   int64_t id = 0;
   if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) == napi_ok && argc >= 1)
      napi_get_value_int64(env, argv[0], &id);
   return (unsigned long long)id;
}

static napi_value invocation_begin(napi_env env, napi_callback_info info)
{
   memento_invocation_begin(id_arg(env, info));
   return NULL;
}

static napi_value invocation_end(napi_env env, napi_callback_info info)
{
   memento_invocation_end(id_arg(env, info));
   return NULL;
}

NAPI_MODULE_INIT()
{
   napi_property_descriptor props[] = {
      { "roiBegin", NULL, roi_begin, NULL, NULL, NULL, napi_default, NULL },
      { "roiEnd", NULL, roi_end, NULL, NULL, NULL, napi_default, NULL },
      { "invocationBegin", NULL, invocation_begin, NULL, NULL, NULL, napi_default, NULL },
      { "invocationEnd", NULL, invocation_end, NULL, NULL, NULL, napi_default, NULL },
   };
   napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
   return exports;
}
