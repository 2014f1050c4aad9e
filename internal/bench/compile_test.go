package bench

import (
	"testing"

	"github.com/bsum-go/bsum/models"
)

func BenchmarkCompileBodyFat(b *testing.B) {
	net, err := models.BodyFat().Net()
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < b.N; i++ {
		if _, err := net.NewProgram(100 + i%50); err != nil {
			b.Fatal(err)
		}
	}
}
