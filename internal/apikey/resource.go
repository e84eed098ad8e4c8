package apikey

import "strings"

// Resource-server credentials: "khrs_" + the id's 20 base62 characters +
// "_" + a 43-character base62 secret (256 bits). The id part names the
// stored record ("rs_" + the same 20 characters); the whole credential is
// what is hashed and stored.
const (
	// ResourceServerPrefix starts every resource-server credential.
	ResourceServerPrefix = "khrs_"
	// ResourceServerIDPrefix starts every resource server's id.
	ResourceServerIDPrefix = "rs_"

	rsSecretLen = 43
	// rsCredentialLen is the length of every credential.
	rsCredentialLen = len(ResourceServerPrefix) + keyIDRandLen + 1 + rsSecretLen
)

// GenerateResourceServer returns a new resource server's id and
// credential, with crypto/rand.
func GenerateResourceServer() (id, credential string) {
	var rnd [keyIDRandLen + rsSecretLen]byte
	fillBase62(rnd[:])
	idPart := string(rnd[:keyIDRandLen])
	return ResourceServerIDPrefix + idPart, ResourceServerPrefix + idPart + "_" + string(rnd[keyIDRandLen:])
}

// ParseResourceServer returns the id of the resource server a credential
// names, or ErrMalformed for anything that is not of the credential's
// form. It says nothing of whether the secret is right.
func ParseResourceServer(credential string) (string, error) {
	if len(credential) != rsCredentialLen || !strings.HasPrefix(credential, ResourceServerPrefix) {
		return "", ErrMalformed
	}
	rest := credential[len(ResourceServerPrefix):]
	idPart, secret := rest[:keyIDRandLen], rest[keyIDRandLen+1:]
	if rest[keyIDRandLen] != '_' || !isBase62(idPart) || !isBase62(secret) {
		return "", ErrMalformed
	}
	return ResourceServerIDPrefix + idPart, nil
}

// IsResourceServerCredential reports whether s looks like a
// resource-server credential (its prefix), to tell it from other bearer
// tokens.
func IsResourceServerCredential(s string) bool { return strings.HasPrefix(s, ResourceServerPrefix) }
