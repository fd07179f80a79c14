// Micro benchmarks of the per-request work outside the kernel: finding the end of a head,
// parsing it, and writing the rewritten head toward the backend and back toward the client.
//
//   build/bin/http_bench --benchmark_min_time=0.5

#include <benchmark/benchmark.h>

#include <string>

#include "router/http/head_rewriter.h"
#include "router/http/message_parser.h"
#include "router/route/endpoint.h"

using namespace foundry::router;

namespace {

// What curl or a browser sends: a dozen headers, ~500 bytes.
const std::string kRequest =
    "GET /api/v1/items?page=2&sort=desc HTTP/1.1\r\n"
    "Host: app.example.com\r\n"
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36\r\n"
    "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n"
    "Accept-Language: en-US,en;q=0.5\r\n"
    "Accept-Encoding: gzip, deflate, br\r\n"
    "Connection: keep-alive\r\n"
    "Cookie: JSESSIONID=abcdef0123456789; theme=dark\r\n"
    "X-Forwarded-For: 203.0.113.7\r\n"
    "Cache-Control: no-cache\r\n"
    "Referer: https://app.example.com/\r\n"
    "\r\n";

const std::string kResponse =
    "HTTP/1.1 200 OK\r\n"
    "Content-Type: application/json\r\n"
    "Content-Length: 100\r\n"
    "Date: Fri, 27 Nov 2026 11:00:00 GMT\r\n"
    "Server: app\r\n"
    "Cache-Control: private\r\n"
    "\r\n";

void BM_FindHeadEnd(benchmark::State& state) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(findHeadEnd(kRequest.data(), kRequest.size(), 0));
  }
  state.SetBytesProcessed(state.iterations() * kRequest.size());
}
BENCHMARK(BM_FindHeadEnd);

void BM_ParseRequestHead(benchmark::State& state) {
  MessageParser parser;
  MessageHead head;
  for (auto _ : state) {
    parser.reset(MessageParser::Type::Request);
    benchmark::DoNotOptimize(parser.parseHead(kRequest.data(), kRequest.size(), &head));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ParseRequestHead);

// Parse + rewrite of the request head, as done once per proxied request.
void BM_ParseAndRewriteRequest(benchmark::State& state) {
  MessageParser parser;
  MessageHead head;
  HeadRewriteOptions options;
  EndpointFields fields;
  fields.host = "10.0.16.5";
  fields.port = 61001;
  fields.app_id = "0a1b2c3d-0000-4000-8000-000000000001";
  fields.private_instance_id = "1b2c3d4e-5f60-4718-293a-4b5c6d7e8f90";
  fields.private_instance_index = "3";
  Endpoint endpoint(fields);
  std::string out;
  RequestFacts facts;
  const std::string request_id = "6f1d2c3b-4a59-4687-9a0b-1c2d3e4f5a6b";
  ClientConnection connection;
  connection.client_ip = "127.0.0.1";
  for (auto _ : state) {
    parser.reset(MessageParser::Type::Request);
    parser.parseHead(kRequest.data(), kRequest.size(), &head);
    buildBackendRequestBase(head, options, connection, request_id, 1795770000000, &out, &facts);
    appendAttemptHeaders(endpoint, &out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ParseAndRewriteRequest);

void BM_ParseAndRewriteResponse(benchmark::State& state) {
  MessageParser parser;
  MessageHead head;
  std::string out;
  const std::string request_id = "6f1d2c3b-4a59-4687-9a0b-1c2d3e4f5a6b";
  for (auto _ : state) {
    parser.reset(MessageParser::Type::Response);
    parser.parseHead(kResponse.data(), kResponse.size(), &head);
    buildClientResponseHead(head, "HTTP/1.1 200 OK", request_id, true, false, &out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ParseAndRewriteResponse);

}  // namespace

BENCHMARK_MAIN();
