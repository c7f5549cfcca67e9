// Constructor ids of the MTProto service layer (docs/spec/wire-notes.md §8.1). They are the same in
// every API layer, so the session layer reads and writes them directly with TlReader/TlWriter; only
// API objects go through the schema engine.
#pragma once

#include <cstdint>

namespace mtedge::backend::embedded::ids {

inline constexpr uint32_t kMsgsAck = 0x62d6b459;
inline constexpr uint32_t kBadMsgNotification = 0xa7eff811;
inline constexpr uint32_t kBadServerSalt = 0xedab447b;
inline constexpr uint32_t kMsgsStateReq = 0xda69fb52;
inline constexpr uint32_t kMsgsStateInfo = 0x04deb57d;
inline constexpr uint32_t kMsgsAllInfo = 0x8cc0d131;
inline constexpr uint32_t kMsgDetailedInfo = 0x276d3ec6;
inline constexpr uint32_t kMsgNewDetailedInfo = 0x809db6df;
inline constexpr uint32_t kMsgResendReq = 0x7d861a08;
inline constexpr uint32_t kRpcResult = 0xf35c6d01;
inline constexpr uint32_t kRpcError = 0x2144ca19;
inline constexpr uint32_t kRpcDropAnswer = 0x58e4a740;
inline constexpr uint32_t kRpcAnswerUnknown = 0x5e2ad36e;
inline constexpr uint32_t kRpcAnswerDroppedRunning = 0xcd78e586;
inline constexpr uint32_t kRpcAnswerDropped = 0xa43ad8b7;
inline constexpr uint32_t kGetFutureSalts = 0xb921bd04;
inline constexpr uint32_t kFutureSalts = 0xae500895;
inline constexpr uint32_t kFutureSalt = 0x0949d9dc;
inline constexpr uint32_t kPing = 0x7abe77ec;
inline constexpr uint32_t kPingDelayDisconnect = 0xf3427b8c;
inline constexpr uint32_t kPong = 0x347773c5;
inline constexpr uint32_t kDestroySession = 0xe7512126;
inline constexpr uint32_t kDestroySessionOk = 0xe22045fc;
inline constexpr uint32_t kDestroySessionNone = 0x62d350c9;
inline constexpr uint32_t kNewSessionCreated = 0x9ec20908;
inline constexpr uint32_t kMsgContainer = 0x73f1f8dc;
inline constexpr uint32_t kMsgCopy = 0xe06046b2;
inline constexpr uint32_t kGzipPacked = 0x3072cfa1;
inline constexpr uint32_t kHttpWait = 0x9299359f;
inline constexpr uint32_t kDestroyAuthKey = 0xd1435160;

// Query wrappers (API layer independent).
inline constexpr uint32_t kInvokeWithLayer = 0xda9b0d0d;
inline constexpr uint32_t kInitConnection = 0xc1cd5ea9;
inline constexpr uint32_t kInvokeAfterMsg = 0xcb9f372d;
inline constexpr uint32_t kInvokeAfterMsgs = 0x3dc4b4f0;
inline constexpr uint32_t kInvokeWithoutUpdates = 0xbf9459b7;
inline constexpr uint32_t kInputClientProxy = 0x75588b3f;

// JSONValue (initConnection.params), skipped by the packet decoder.
inline constexpr uint32_t kJsonNull = 0x3f6d7b68;
inline constexpr uint32_t kJsonBool = 0xc7345e6a;
inline constexpr uint32_t kJsonNumber = 0x2be0dfa4;
inline constexpr uint32_t kJsonString = 0xb71e767a;
inline constexpr uint32_t kJsonArray = 0xf7444763;
inline constexpr uint32_t kJsonObject = 0x99c1d49d;
inline constexpr uint32_t kJsonObjectValue = 0xc0de1bd9;

// bad_msg_notification codes (docs/spec/wire-notes.md §8.4).
inline constexpr int32_t kMsgIdTooLow = 16;
inline constexpr int32_t kMsgIdTooHigh = 17;
inline constexpr int32_t kMsgIdBadParity = 18;
inline constexpr int32_t kContainerIdReused = 19;
inline constexpr int32_t kMsgIdTooOld = 20;
inline constexpr int32_t kSeqNoTooLow = 32;
inline constexpr int32_t kSeqNoTooHigh = 33;
inline constexpr int32_t kSeqNoEvenExpected = 34;
inline constexpr int32_t kSeqNoOddExpected = 35;
inline constexpr int32_t kBadSalt = 48;
inline constexpr int32_t kInvalidContainer = 64;

}  // namespace mtedge::backend::embedded::ids
