package password

import (
	"errors"
	"regexp"
	"strings"
	"testing"
)

// cheap keeps the tests fast; the format does not depend on the cost.
var cheap = Params{Memory: 64, Time: 1, Threads: 1}

// Known answers from the reference implementation (libargon2's
// argon2id_hash_encoded, 32-byte hash).
var knownAnswers = []struct {
	pw, encoded string
}{
	{"correct horse battery staple",
		"$argon2id$v=19$m=64,t=2,p=1$MDEyMzQ1Njc4OWFiY2RlZg$gAwJW5vx5itn2V9KHlEUjyUCrpDYgKyQf0gMaHGx1h4"},
	{"p\u00e4ssw0rd!",
		"$argon2id$v=19$m=256,t=1,p=2$c2FsdHNhbHRzYWx0c2FsdA$JQ2apTlCtnAALpU60z8nS9YwDW4nFCDVKn6HfzUOwjc"},
}

func TestVerifyKnownAnswers(t *testing.T) {
	for _, ka := range knownAnswers {
		t.Run(ka.pw, func(t *testing.T) {
			if ok, err := Verify(ka.pw, ka.encoded); !ok || err != nil {
				t.Fatalf("Verify = %v, %v; want true", ok, err)
			}
			if ok, err := Verify(ka.pw+" ", ka.encoded); ok || err != nil {
				t.Fatalf("Verify(wrong) = %v, %v; want false, nil", ok, err)
			}
		})
	}
}

func TestHashFormat(t *testing.T) {
	encoded, err := Hash("Correct-Horse-1", Default)
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`)
	if !re.MatchString(encoded) {
		t.Fatalf("Hash = %q, want %v", encoded, re)
	}
	if ok, err := Verify("Correct-Horse-1", encoded); !ok || err != nil {
		t.Fatalf("Verify = %v, %v; want true", ok, err)
	}
}

func TestRoundTrip(t *testing.T) {
	tests := []struct {
		name, pw string
		p        Params
	}{
		{"cheap", "Tr0ub4dor&3-long", cheap},
		{"empty", "", cheap},
		{"unicode", "m\u00f6t\u00f6rhead \U0001F918 p4ss", cheap},
		{"two lanes", "Tr0ub4dor&3-long", Params{Memory: 128, Time: 2, Threads: 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := Hash(tt.pw, tt.p)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := Hash(tt.pw, tt.p)
			if a == b {
				t.Fatal("two hashes of one password are equal: the salt is not random")
			}
			if ok, err := Verify(tt.pw, a); !ok || err != nil {
				t.Fatalf("Verify = %v, %v; want true", ok, err)
			}
			for _, wrong := range []string{tt.pw + "x", strings.ToUpper(tt.pw) + "!", "x"} {
				if ok, err := Verify(wrong, a); ok || err != nil {
					t.Fatalf("Verify(%q) = %v, %v; want false, nil", wrong, ok, err)
				}
			}
		})
	}
}

func TestTampered(t *testing.T) {
	const pw = "correct horse battery staple"
	good := knownAnswers[0].encoded
	tampered := []string{
		strings.Replace(good, "m=64", "m=72", 1),
		strings.Replace(good, "t=2", "t=3", 1),
		strings.Replace(good, "p=1", "p=2", 1),
	}
	salt := strings.LastIndex(good[:strings.LastIndex(good, "$")], "$") + 1
	for i := salt; i < len(good); i++ {
		if good[i] == '$' || i == len(good)-1 || good[i+1] == '$' {
			continue // the last character of each part is tested below
		}
		c := byte('A')
		if good[i] == 'A' {
			c = 'B'
		}
		tampered = append(tampered, good[:i]+string(c)+good[i+1:])
	}
	for _, s := range tampered {
		if ok, err := Verify(pw, s); ok || err != nil {
			t.Fatalf("Verify(%q) = %v, %v; want false, nil", s, ok, err)
		}
	}
}

func TestMalformed(t *testing.T) {
	const (
		salt = "MDEyMzQ1Njc4OWFiY2RlZg"
		key  = "gAwJW5vx5itn2V9KHlEUjyUCrpDYgKyQf0gMaHGx1h4"
	)
	tests := []struct {
		name, encoded string
		want          error
	}{
		{"empty", "", ErrMalformed},
		{"bcrypt", "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy", ErrMalformed},
		{"argon2i", "$argon2i$v=19$m=64,t=2,p=1$" + salt + "$" + key, ErrMalformed},
		{"version 16", "$argon2id$v=16$m=64,t=2,p=1$" + salt + "$" + key, ErrMalformed},
		{"no version", "$argon2id$m=64,t=2,p=1$" + salt + "$" + key, ErrMalformed},
		{"extra field", "$argon2id$v=19$m=64,t=2,p=1$" + salt + "$" + key + "$", ErrMalformed},
		{"no leading $", "argon2id$v=19$m=64,t=2,p=1$" + salt + "$" + key, ErrMalformed},
		{"order", "$argon2id$v=19$t=2,m=64,p=1$" + salt + "$" + key, ErrMalformed},
		{"leading zero", "$argon2id$v=19$m=064,t=2,p=1$" + salt + "$" + key, ErrMalformed},
		{"sign", "$argon2id$v=19$m=+64,t=2,p=1$" + salt + "$" + key, ErrMalformed},
		{"negative", "$argon2id$v=19$m=-64,t=2,p=1$" + salt + "$" + key, ErrMalformed},
		{"space", "$argon2id$v=19$m=64, t=2,p=1$" + salt + "$" + key, ErrMalformed},
		{"overflow", "$argon2id$v=19$m=4294967296,t=2,p=1$" + salt + "$" + key, ErrMalformed},
		{"missing p", "$argon2id$v=19$m=64,t=2$" + salt + "$" + key, ErrMalformed},
		{"padded salt", "$argon2id$v=19$m=64,t=2,p=1$" + salt + "==$" + key, ErrMalformed},
		{"non-canonical salt", "$argon2id$v=19$m=64,t=2,p=1$" + salt[:21] + "h$" + key, ErrMalformed},
		{"non-canonical hash", "$argon2id$v=19$m=64,t=2,p=1$" + salt + "$" + key[:42] + "5", ErrMalformed},
		{"url alphabet", "$argon2id$v=19$m=64,t=2,p=1$" + salt + "$" + key[:20] + "-_" + key[22:], ErrMalformed},
		{"line break", "$argon2id$v=19$m=64,t=2,p=1$" + salt[:10] + "\n" + salt[10:] + "$" + key, ErrMalformed},
		{"short salt", "$argon2id$v=19$m=64,t=2,p=1$YWJj$" + key, ErrMalformed},
		{"short hash", "$argon2id$v=19$m=64,t=2,p=1$" + salt + "$YWJjZGVmZ2hpamtsbW5v", ErrMalformed},
		{"empty hash", "$argon2id$v=19$m=64,t=2,p=1$" + salt + "$", ErrMalformed},
		{"memory 2 GiB", "$argon2id$v=19$m=2097152,t=2,p=1$" + salt + "$" + key, ErrParams},
		{"memory below 8p", "$argon2id$v=19$m=15,t=1,p=2$" + salt + "$" + key, ErrParams},
		{"time 0", "$argon2id$v=19$m=64,t=0,p=1$" + salt + "$" + key, ErrParams},
		{"time 1000000", "$argon2id$v=19$m=64,t=1000000,p=1$" + salt + "$" + key, ErrParams},
		{"threads 0", "$argon2id$v=19$m=64,t=2,p=0$" + salt + "$" + key, ErrParams},
		{"threads 256", "$argon2id$v=19$m=4096,t=2,p=256$" + salt + "$" + key, ErrParams},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, err := Verify("correct horse battery staple", tt.encoded)
			if ok || !errors.Is(err, tt.want) {
				t.Fatalf("Verify = %v, %v; want false, %v", ok, err, tt.want)
			}
		})
	}
}

func TestHashParams(t *testing.T) {
	tests := []struct {
		name string
		p    Params
		ok   bool
	}{
		{"default", Default, true},
		{"smallest", Params{Memory: 8, Time: 1, Threads: 1}, true},
		{"no threads", Params{Memory: 64, Time: 1}, false},
		{"no time", Params{Memory: 64, Threads: 1}, false},
		{"too much time", Params{Memory: 64, Time: MaxTime + 1, Threads: 1}, false},
		{"too little memory", Params{Memory: 15, Time: 1, Threads: 2}, false},
		{"too much memory", Params{Memory: MaxMemory + 1, Time: 1, Threads: 1}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.p.validate(); (err == nil) != tt.ok {
				t.Fatalf("validate = %v, want ok=%v", err, tt.ok)
			}
			if tt.ok {
				return // Hash with valid parameters is tested elsewhere
			}
			if s, err := Hash("pw", tt.p); !errors.Is(err, ErrParams) || s != "" {
				t.Fatalf("Hash = %q, %v; want ErrParams", s, err)
			}
		})
	}
}
