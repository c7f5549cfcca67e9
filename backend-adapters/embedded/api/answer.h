// Layer-neutral TL objects in and out: a handler reads its query as a tl::Object and builds its
// answer by constructor and field names; fit() shapes that object to the caller's layer.
#pragma once

#include <string_view>

#include "backend-adapters/embedded/api/dispatcher.h"
#include "base/status.h"
#include "mtproto/tl/schema_value.h"

namespace mtedge::backend::embedded::api {

// `object` as `schema`'s layer has it: fields that layer's constructor lacks are dropped, its
// required fields that `object` lacks get a neutral value (0, "", false, an empty vector, or the
// type's constructor without required fields, an `...Empty` one first), nested objects
// likewise. A vector element whose constructor the layer does not have is left out; a
// required field that cannot be shaped is an error.
Result<mtproto::tl::Object> fit(const mtproto::tl::Schema& schema,
                                const mtproto::tl::Object& object);

// fit() then serialize (boxed).
Result<Bytes> serialize_fitted(const mtproto::tl::Schema& schema,
                               const mtproto::tl::Object& object);

// The answer to a query: `object` in the caller's layer, or rpc_error 500 if it cannot be built.
Bytes answer(const CallContext& context, const mtproto::tl::Object& object);
// A vector answer (Vector<User>): each element fitted, elements the layer lacks left out.
Bytes answer_vector(const CallContext& context, const std::vector<mtproto::tl::Object>& items);
// boolTrue / boolFalse.
Bytes answer_bool(bool value);

// The query (constructor id first) parsed with the caller's schema.
Result<mtproto::tl::Object> parse_query(const CallContext& context, ByteView query);

}  // namespace mtedge::backend::embedded::api
