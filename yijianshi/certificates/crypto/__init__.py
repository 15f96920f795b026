"""The cryptographic core of electronic certificates (电子证照), plain Python without Django.

- signers: Ed25519 and SM2 (with SM3) signing keys, raw key bytes in and out.
- identifier: the GB/T 36904-2018 电子证照标识 with its check character.
- qr: the compact signed payload (CBOR claims in COSE_Sign1, zlib, Base45) printed as the certificate's QR code.
- statuslist: W3C Bitstring Status List v1.0 encoding of revoked/suspended certificates.
"""
