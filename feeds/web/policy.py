"""The security headers of what the browser shows: pages, embed pages and our scripts.

Pages load scripts and styles from our origin only (no inline script or style anywhere), and
images from the articles' own URLs; embed pages may be framed by any site, other pages by none.
"""

from __future__ import annotations

Headers = tuple[tuple[str, str], ...]

_COMMON = "default-src 'none'; script-src 'self'; style-src 'self'; img-src http: https:; base-uri 'none'"
PAGE: Headers = (
    (
        "Content-Security-Policy",
        f"{_COMMON}; connect-src 'self'; frame-src 'self'; form-action 'self'; frame-ancestors 'none'",
    ),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
    ("X-Frame-Options", "DENY"),
)
# Framed by any site (frame-ancestors *, and no X-Frame-Options); links leave the frame.
EMBED: Headers = (
    ("Content-Security-Policy", f"{_COMMON}; form-action 'none'; frame-ancestors *"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
)
# Our scripts and stylesheets, used by other sites' pages (embed.js): CORS is on every output.
ASSET: Headers = (("Cross-Origin-Resource-Policy", "cross-origin"),)

__all__ = ["ASSET", "EMBED", "PAGE", "Headers"]
