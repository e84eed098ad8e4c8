package service

import (
	"crypto/subtle"
	"fmt"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"keyhouse"
)

// totpPeriod is the RFC 6238 time step.
const totpPeriod = 30

var errBadCode = fmt.Errorf("totp code does not match")

// checkTOTP verifies code against u's secret, accepting one step of clock
// skew either way but never a step at or before the last one accepted
// (no replay). On success it advances u.TOTPLastStep; the caller saves u.
func (s *Service) checkTOTP(u *keyhouse.User, code string) error {
	if u.TOTPSecret == "" || len(code) != 6 {
		return errBadCode
	}
	secret, err := s.totp.Open(u.TOTPSecret, u.ID)
	if err != nil {
		return fmt.Errorf("open totp secret: %w", err)
	}
	now := s.now().Unix() / totpPeriod
	for step := now - 1; step <= now+1; step++ {
		if step <= u.TOTPLastStep {
			continue
		}
		want, err := totp.GenerateCodeCustom(string(secret), time.Unix(step*totpPeriod, 0), totp.ValidateOpts{
			Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1,
		})
		if err != nil {
			return fmt.Errorf("totp code: %w", err)
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			u.TOTPLastStep = step
			return nil
		}
	}
	return errBadCode
}
