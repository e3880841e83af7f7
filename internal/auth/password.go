package auth

import (
	"errors"
	"fmt"

	"golang.org/x/crypto/bcrypt"
)

// PasswordCost is bcrypt's work factor: about 50 ms a hash on one core here, the OWASP floor.
const PasswordCost = 10

// MaxPasswordBytes is bcrypt's limit; longer passwords are refused rather than cut.
const MaxPasswordBytes = 72

// HashPassword returns a bcrypt hash of password.
func HashPassword(password string) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(password), PasswordCost)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return string(h), nil
}

// CheckPassword reports whether password matches hash.
func CheckPassword(hash, password string) bool {
	err := bcrypt.CompareHashAndPassword([]byte(hash), []byte(password))
	return err == nil
}

// dummyHash is compared against when no user matches, so that a login for an unknown email
// costs as much as one with a wrong password and does not reveal which emails exist.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("not a real password"), PasswordCost)

// BurnPasswordCheck spends the time of one password check.
func BurnPasswordCheck(password string) {
	_ = errors.Is(bcrypt.CompareHashAndPassword(dummyHash, []byte(password)), nil)
}
