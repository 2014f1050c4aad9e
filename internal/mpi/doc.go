// Package mpi runs bsum's data-parallel reductions across processes with
// MPI: [Comm] implements graph.Reducer on MPI_COMM_WORLD, so every rank
// holds a contiguous shard of the samples (graph.ShardRange) and the
// solvers see sums over all of them.
//
// # Build
//
// The implementation is a minimal cgo wrapper of the MPI C API (Open MPI,
// found with pkg-config ompi-c) and is compiled only with the build tag
// mpi:
//
//	apt-get install -y libopenmpi-dev openmpi-bin
//	go build -tags mpi ./...
//	mpirun -np 2 ./program            # as root: mpirun --allow-run-as-root
//
// Without the tag the package is pure Go: [Available] reports false and
// [Init] returns an error that says to rebuild with -tags mpi, so bsum
// builds and runs exactly as before.
//
// # Reproducibility
//
// [Comm.Sum] does not use MPI_Allreduce, whose algorithm (and so the order
// of the floating-point additions) Open MPI chooses by message size and
// process count. Instead each rank r owns the element range
// graph.ShardRange(len(x), r, size): an MPI_Alltoallv sends every rank the
// pieces of its range from all ranks, the owner adds them in rank order
// 0, 1, …, size−1, and an MPI_Allgatherv copies the sums to everyone. MPI
// only moves bytes; all arithmetic is the Go loop
//
//	s = x₀ + x₁ + … + x_{size−1}   (left to right)
//
// so every rank ends with the same bits, the result depends only on size,
// and runs are bitwise reproducible. The traffic per rank is about
// 2·len(x)·8 bytes, like a ring allreduce, and no rank is a bottleneck.
//
// # Use
//
//	comm, err := mpi.Init() // once per process; every rank
//	if err != nil {
//		mpi.Fatal(err)
//	}
//	defer comm.Finalize()
//	var red graph.Reducer = comm // Rank, Size, Sum, Broadcast
//	train, _, shard, _, err := dataset.FashionMNISTShard(opt, comm)
//
// [LaunchedSize] tells, with or without the tag, whether mpirun started
// this process as one of several ranks, so a binary built without MPI can
// refuse to run that way.
//
// # Failure
//
// MPI collectives block until every rank joins, so a rank that returns an
// error while the others wait would hang the job. [Fatal] prints
// "rank r: message" on standard error and calls MPI_Abort, which makes
// mpirun kill all ranks and exit with a non-zero status.
package mpi
