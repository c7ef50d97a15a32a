"""helpdesk.local by mDNS: announced only when Helpdesk listens on the LAN, as an
`_http._tcp` service whose host is helpdesk.local at this machine's addresses."""

from __future__ import annotations

import socket

from helpdesk.config import Settings
from helpdesk.host.lan_announce import service_info, wanted


def test_only_a_lan_facing_helpdesk_announces_itself_and_the_owner_can_turn_it_off(tmp_path):
    lan = Settings(data_dir=tmp_path, host="0.0.0.0")
    assert wanted(lan, {}) is True
    assert wanted(lan, {"HELPDESK_MDNS": "0"}) is False
    assert wanted(Settings(data_dir=tmp_path, host="127.0.0.1"), {}) is False


def test_the_record_names_helpdesk_local_as_an_http_service_at_the_lan_addresses():
    info = service_info(8080, ["192.168.1.20"])
    assert info.type == "_http._tcp.local." and info.name == "Helpdesk._http._tcp.local."
    assert info.server == "helpdesk.local." and info.port == 8080
    assert [socket.inet_ntoa(a) for a in info.addresses] == ["192.168.1.20"]
    assert info.properties[b"path"] == b"/"
