"""The server's RSA key for tests that run the edge handshake."""
import os
import subprocess

from telethon.crypto import rsa


def register_public_key(private):
    """Tells Telethon the public half of the server key in PEM file `private`."""
    public = subprocess.run(["openssl", "rsa", "-in", private, "-RSAPublicKey_out"], check=True,
                            capture_output=True, text=True).stdout
    rsa.add_key(public, old=False)


def make_rsa_key(directory):
    """A fresh 2048-bit key as `make run` makes it (PKCS#8 PEM from openssl genrsa), and its
    PKCS#1 public half registered with Telethon. Returns the private key's path."""
    private = os.path.join(directory, "rsa_private.pem")
    subprocess.run(["openssl", "genrsa", "-out", private, "2048"], check=True,
                   capture_output=True)
    register_public_key(private)
    return private
