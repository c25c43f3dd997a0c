"""Second factors for tests: devices as the app makes them, and codes as an app would show."""

from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from oauth_portal.mfa.factors import recovery_code_digests

PASSWORD = "correct-horse-battery"


def authenticator_app(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)


def current_code(device: TOTPDevice, *, offset_steps: int = 0) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = totp.time + offset_steps * device.step
    return f"{totp.token():0{device.digits}d}"


def wrong_code(device: TOTPDevice) -> str:
    """A code that is none of the few the device accepts now."""
    accepted = {current_code(device, offset_steps=step) for step in range(-2, 3)}
    return next(f"{n:06d}" for n in range(1000000) if f"{n:06d}" not in accepted)


def recovery_codes(user, codes=("aaaa1111", "bbbb2222")) -> list[str]:
    device = StaticDevice.objects.create(user=user, name="Recovery codes", confirmed=True)
    for code in codes:
        StaticToken.objects.create(device=device, token=recovery_code_digests(code)[0])
    return list(codes)


def sign_in(client, username: str, *, next_url: str = "", address: str = "127.0.0.1"):
    data = {"username": username, "password": PASSWORD}
    if next_url:
        data["next"] = next_url
    return client.post("/accounts/login/", data, REMOTE_ADDR=address)


def second_step(client, code: str, *, next_url: str = "", address: str = "127.0.0.1"):
    data = {"code": code}
    if next_url:
        data["next"] = next_url
    return client.post("/accounts/two-step/second-step/", data, REMOTE_ADDR=address)
