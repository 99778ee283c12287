package readme

import (
	"bufio"
	"fmt"
	"os"
	"strings"
	"testing"
)

func TestDevCompare(t *testing.T) {
	vf := os.Getenv("RR_VERDICTS")
	if vf == "" {
		t.Skip()
	}
	f, _ := os.Open(vf)
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	fr, caught, fails := 0, 0, 0
	for sc.Scan() {
		parts := strings.SplitN(sc.Text(), "\t", 3)
		b, _ := os.ReadFile(parts[0])
		if len(b) == 0 {
			continue
		}
		ps := checkRST(string(b))
		ok := parts[1] == "OK"
		if ok && len(ps) > 0 {
			fr++
			fmt.Printf("FALSE REFUSAL %s: %v\n", parts[0], ps[0])
		}
		if !ok {
			fails++
			if len(ps) > 0 {
				caught++
			} else {
				fmt.Printf("MISSED %s: %s\n", parts[0], parts[2])
			}
		}
	}
	fmt.Printf("false refusals %d; caught %d of %d\n", fr, caught, fails)
}
