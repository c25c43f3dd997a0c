"""The authenticator-app QR code, drawn here as inline SVG (segno): no outside request, and
the secret never leaves the page."""

import segno


def qr_svg(uri: str) -> str:
    return segno.make(uri, error="m").svg_inline(scale=4, border=2, dark="#111827", light="#fff")
