package report
import ("testing";"time";"context";"syscall")
func cpuNow() time.Duration { var ru syscall.Rusage; syscall.Getrusage(0,&ru); return time.Duration(ru.Utime.Nano()+ru.Stime.Nano()) }
func TestZZBig(t *testing.T){
 snap,m,cls:=randomEnterprise(1_000_000, 50_000, 5_000_000, 1000)
 for range 6 {
 c0:=cpuNow(); t0:=time.Now()
 if err:=writeAssignmentsParquet(context.Background(),&countingWriter{},snap,m,cls,"x",2,rowGroupRows); err!=nil {t.Fatal(err)}
 t.Log("assignments 5M: wall", time.Since(t0), "cpu", cpuNow()-c0)
 }
}
