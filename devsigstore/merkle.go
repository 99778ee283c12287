package devsigstore

import "github.com/transparency-dev/merkle/rfc6962"

// treeHash is the RFC 6962 Merkle tree hash (MTH) over leaf hashes.
func treeHash(leaves [][]byte) []byte {
	switch len(leaves) {
	case 0:
		return rfc6962.DefaultHasher.EmptyRoot()
	case 1:
		return leaves[0]
	}
	k := split(len(leaves))
	return rfc6962.DefaultHasher.HashChildren(treeHash(leaves[:k]), treeHash(leaves[k:]))
}

// inclusionPath is the RFC 6962 audit path (PATH) of leaf m in the tree of
// leaves, from the leaf's sibling up.
func inclusionPath(m int, leaves [][]byte) [][]byte {
	n := len(leaves)
	if n <= 1 {
		return nil
	}
	k := split(n)
	if m < k {
		return append(inclusionPath(m, leaves[:k]), treeHash(leaves[k:]))
	}
	return append(inclusionPath(m-k, leaves[k:]), treeHash(leaves[:k]))
}

// split is the largest power of two smaller than n (n > 1).
func split(n int) int {
	k := 1
	for k<<1 < n {
		k <<= 1
	}
	return k
}
