package devsigstore

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"github.com/cyberphone/json-canonicalization/go/src/webpki.org/jsoncanonicalizer"
	"github.com/go-openapi/runtime"
	"github.com/go-openapi/strfmt"
	"github.com/sigstore/rekor/pkg/generated/models"
	"github.com/sigstore/rekor/pkg/types"
	"github.com/sigstore/rekor/pkg/util"
	"github.com/transparency-dev/merkle/rfc6962"

	// The entry kinds the log accepts: what sigstore-go's signer sends.
	_ "github.com/sigstore/rekor/pkg/types/dsse/v0.0.1"
	_ "github.com/sigstore/rekor/pkg/types/hashedrekord/v0.0.1"
)

// maxEntryBody bounds a proposed entry (an envelope and a certificate).
const maxEntryBody = 1 << 20

// entry is one log entry as stored.
type entry struct {
	uuid           string
	body           []byte // the canonicalized entry
	integratedTime int64
	index          int64
	set            []byte // signed entry timestamp
}

// rekorError writes an error as Rekor's API does: {"code", "message"}.
func rekorError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"code": status, "message": msg})
}

// handleCreateEntry is POST /rekor/api/v1/log/entries: the proposed entry
// is validated and canonicalized by Rekor's own type implementations (for
// dsse, the envelope's signatures are verified with the given
// certificate), integrated now and answered 201 with the entry, its signed
// entry timestamp and its inclusion proof; an entry already in the log is
// 409 with its Location, as Rekor answers.
func (s *Sigstore) handleCreateEntry(w http.ResponseWriter, r *http.Request) {
	b, err := io.ReadAll(io.LimitReader(r.Body, maxEntryBody+1))
	if err != nil || len(b) > maxEntryBody {
		rekorError(w, http.StatusBadRequest, "the proposed entry cannot be read or is too large")
		return
	}
	pe, err := models.UnmarshalProposedEntry(bytes.NewReader(b), runtime.JSONConsumer())
	if err != nil {
		rekorError(w, http.StatusBadRequest, "invalid proposed entry: "+err.Error())
		return
	}
	if err := pe.Validate(strfmt.Default); err != nil {
		rekorError(w, http.StatusBadRequest, "invalid proposed entry: "+err.Error())
		return
	}
	ei, err := types.CreateVersionedEntry(pe)
	if err != nil {
		rekorError(w, http.StatusBadRequest, err.Error())
		return
	}
	body, err := types.CanonicalizeEntry(r.Context(), ei)
	if err != nil {
		rekorError(w, http.StatusBadRequest, "cannot canonicalize the entry: "+err.Error())
		return
	}
	leaf := rfc6962.DefaultHasher.HashLeaf(body)
	uuid := hex.EncodeToString(leaf)

	s.mu.Lock()
	if old := s.byUUID[uuid]; old != nil {
		s.mu.Unlock()
		w.Header().Set("Location", RekorPath+"/api/v1/log/entries/"+uuid)
		rekorError(w, http.StatusConflict, "An equivalent entry already exists in the transparency log with UUID "+uuid)
		return
	}
	e := &entry{uuid: uuid, body: body, integratedTime: s.now().Unix(), index: int64(len(s.leaves))}
	set, err := s.signEntryTimestamp(e)
	if err != nil {
		s.mu.Unlock()
		rekorError(w, http.StatusInternalServerError, "signing the entry timestamp: "+err.Error())
		return
	}
	e.set = set
	s.leaves = append(s.leaves, leaf)
	s.byUUID[uuid] = e
	anon, err := s.anon(r, e)
	s.mu.Unlock()
	if err != nil {
		rekorError(w, http.StatusInternalServerError, err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("ETag", uuid)
	w.Header().Set("Location", RekorPath+"/api/v1/log/entries/"+uuid)
	w.WriteHeader(http.StatusCreated)
	json.NewEncoder(w).Encode(models.LogEntry{uuid: *anon})
}

// handleGetEntry is GET /rekor/api/v1/log/entries/{uuid}, with a proof
// against the current tree.
func (s *Sigstore) handleGetEntry(w http.ResponseWriter, r *http.Request) {
	uuid := r.PathValue("uuid")
	s.mu.Lock()
	e := s.byUUID[uuid]
	var anon *models.LogEntryAnon
	var err error
	if e != nil {
		anon, err = s.anon(r, e)
	}
	s.mu.Unlock()
	switch {
	case e == nil:
		rekorError(w, http.StatusNotFound, "no entry with UUID "+uuid)
	case err != nil:
		rekorError(w, http.StatusInternalServerError, err.Error())
	default:
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(models.LogEntry{uuid: *anon})
	}
}

// signEntryTimestamp signs the canonical JSON of the entry's body,
// integrated time, log ID and index with the log's key: Rekor's SET.
func (s *Sigstore) signEntryTimestamp(e *entry) ([]byte, error) {
	payload, err := json.Marshal(struct {
		Body           string `json:"body"`
		IntegratedTime int64  `json:"integratedTime"`
		LogIndex       int64  `json:"logIndex"`
		LogID          string `json:"logID"`
	}{base64.StdEncoding.EncodeToString(e.body), e.integratedTime, e.index, hex.EncodeToString(s.logID)})
	if err != nil {
		return nil, err
	}
	canon, err := jsoncanonicalizer.Transform(payload)
	if err != nil {
		return nil, err
	}
	h := sha256.Sum256(canon)
	return ecdsa.SignASN1(rand.Reader, s.logKey, h[:])
}

// anon renders e with an inclusion proof against the current tree and a
// checkpoint signed for it. s.mu must be held.
func (s *Sigstore) anon(r *http.Request, e *entry) (*models.LogEntryAnon, error) {
	size := int64(len(s.leaves))
	rootHash := treeHash(s.leaves)
	path := inclusionPath(int(e.index), s.leaves)
	hashes := make([]string, len(path))
	for i, h := range path {
		hashes[i] = hex.EncodeToString(h)
	}
	cp, err := util.CreateAndSignCheckpoint(r.Context(), s.logHost, s.treeID, uint64(size), rootHash, s.logSigner)
	if err != nil {
		return nil, fmt.Errorf("signing the checkpoint: %w", err)
	}
	checkpoint, rootHex, logID := string(cp), hex.EncodeToString(rootHash), hex.EncodeToString(s.logID)
	index, integrated := e.index, e.integratedTime
	return &models.LogEntryAnon{
		Body:           base64.StdEncoding.EncodeToString(e.body),
		IntegratedTime: &integrated,
		LogID:          &logID,
		LogIndex:       &index,
		Verification: &models.LogEntryAnonVerification{
			InclusionProof: &models.InclusionProof{
				Checkpoint: &checkpoint, Hashes: hashes, LogIndex: &index, RootHash: &rootHex, TreeSize: &size,
			},
			SignedEntryTimestamp: strfmt.Base64(e.set),
		},
	}, nil
}
