"""python-fido2 (CtapPcscDevice) as a third-party client of the virtual key.

Line protocol for the Rust test (tests/virtual_card_fido.rs): one command per line on
stdin, one JSON object per line on stdout. Every command opens the device anew
(SELECT + getInfo, as CtapPcscDevice does), so a replug between commands works.
CTAP errors come back as {"error": <status byte>}.
"""

import json
import sys
import time

from fido2.ctap import CtapError
from fido2.ctap2 import ClientPin, CredentialManagement, Ctap2
from fido2.pcsc import CtapPcscDevice
from fido2.utils import sha256

READER = sys.argv[1] if len(sys.argv) > 1 else "Virtual PCD 00 00"
RP = {"id": "example.com", "name": "Example"}


def device():
    deadline = time.time() + 10
    while True:
        devices = list(CtapPcscDevice.list_devices(READER))
        if devices:
            return devices[0]
        if time.time() > deadline:
            raise RuntimeError(f"no FIDO device in reader {READER!r}")
        time.sleep(0.2)


def token(ctap2, pin, permissions, rp_id=None):
    client_pin = ClientPin(ctap2)
    return client_pin, client_pin.get_pin_token(pin, permissions, rp_id)


def open_ctap2():
    """The device and its Ctap2. Right after a replug the host re-probes the
    card, and a SELECT racing that probe can fail once: try again for 3 s."""
    deadline = time.time() + 3
    while True:
        dev = device()
        try:
            return dev, Ctap2(dev)
        except ValueError:
            dev.close()
            if time.time() > deadline:
                raise
            time.sleep(0.2)


def run(command, args):
    dev, ctap2 = open_ctap2()
    try:
        if command == "info":
            info = ctap2.info
            return {
                "versions": list(info.versions),
                "transports": list(info.transports),
                "client_pin": info.options.get("clientPin"),
                "cred_mgmt": info.options.get("credMgmt"),
            }
        if command == "set_pin":
            ClientPin(ctap2).set_pin(args[0])
            return {"ok": True}
        if command == "change_pin":
            ClientPin(ctap2).change_pin(args[0], args[1])
            return {"ok": True}
        if command == "retries":
            retries, _ = ClientPin(ctap2).get_pin_retries()
            return {"retries": retries}
        if command == "make_rk":
            pin, user = args[:2]
            rp = {"id": args[2], "name": args[2]} if len(args) > 2 else RP
            client_pin, mc = token(ctap2, pin, ClientPin.PERMISSION.MAKE_CREDENTIAL, rp["id"])
            client_data_hash = sha256(b"client data")
            response = ctap2.make_credential(
                client_data_hash,
                rp,
                {"id": user.encode(), "name": user, "displayName": user},
                [{"type": "public-key", "alg": -7}],
                options={"rk": True},
                pin_uv_param=client_pin.protocol.authenticate(mc, client_data_hash),
                pin_uv_protocol=client_pin.protocol.VERSION,
            )
            return {"credential_id": response.auth_data.credential_data.credential_id.hex()}
        if command in ("list_rk", "delete_rk"):
            client_pin, cm_token = token(ctap2, args[0], ClientPin.PERMISSION.CREDENTIAL_MGMT)
            cm = CredentialManagement(ctap2, client_pin.protocol, cm_token)
            if command == "delete_rk":
                cm.delete_cred({"id": bytes.fromhex(args[1]), "type": "public-key"})
                return {"ok": True}
            count = cm.get_metadata()[CredentialManagement.RESULT.EXISTING_CRED_COUNT]
            users = []
            if count:
                for rp in cm.enumerate_rps():
                    rp_hash = rp[CredentialManagement.RESULT.RP_ID_HASH]
                    for cred in cm.enumerate_creds(rp_hash):
                        users.append(cred[CredentialManagement.RESULT.USER]["name"])
            return {"count": count, "users": users}
        if command == "reset":
            ctap2.reset()
            return {"ok": True}
        return {"exception": f"unknown command {command!r}"}
    finally:
        dev.close()


def main():
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        if words[0] == "quit":
            break
        try:
            result = run(words[0], words[1:])
        except CtapError as e:
            result = {"error": int(e.code)}
        except Exception as e:  # reported to the Rust side, which fails the test
            result = {"exception": repr(e)}
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
