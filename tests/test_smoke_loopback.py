import httpx

from tests.loopback import LoopbackServer


def test_loopback_records_and_replies(loopback: LoopbackServer) -> None:
    loopback.enqueue(201, {"ok": True}, headers={"x-request-id": "req_1"})
    r = httpx.post(loopback.url + "/p", json={"a": 1})
    assert r.status_code == 201
    assert r.json() == {"ok": True}
    assert r.headers["x-request-id"] == "req_1"
    assert loopback.requests[0].json() == {"a": 1}
    assert loopback.requests[0].path == "/p"
