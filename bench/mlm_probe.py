#!/usr/bin/env python3
# Diagnostic (needs python3-torch from Debian): loads a pretraining checkpoint written by
# `jointnlu pretrain` (HF AlbertForPreTraining layout) and measures masked-LM accuracy separately at
# [MASK], kept and randomly replaced inputs on 50 random lines per corpus file (one position each).
# Usage: /usr/bin/python3 bench/mlm_probe.py RUN_DIR [CORPUS_DIR]   (default ../shared/corpus/zh)
# The lines are drawn from the whole corpus, not only the held-out 1%: an upper bound, not a test score.
import json,struct,sys,math,random,torch,torch.nn.functional as F
d=sys.argv[1]; torch.set_num_threads(1)
f=open(d+'/model.safetensors','rb'); n=struct.unpack('<Q',f.read(8))[0]; h=json.loads(f.read(n)); base=8+n
W={}
raw=open(d+'/model.safetensors','rb').read()
for k,v in h.items():
    if k=='__metadata__': continue
    a,b=v['data_offsets']; W[k]=torch.frombuffer(bytearray(raw[base+a:base+b]),dtype=torch.float32).view(v['shape'])
cfg=json.load(open(d+'/config.json')); vocab=[l.rstrip('\n') for l in open(d+'/vocab.txt',encoding='utf8')]
stoi={t:i for i,t in enumerate(vocab)}; H=cfg['hidden_size']; NH=cfg['num_attention_heads']; hs=H//NH
NL=cfg['num_hidden_layers']; G=cfg['num_hidden_groups']
ln=lambda x,p:F.layer_norm(x,(x.shape[-1],),W[p+'.weight'],W[p+'.bias'],1e-12)
lin=lambda x,p:F.linear(x,W[p+'.weight'],W[p+'.bias'])
def fwd(ids):
    B,L=ids.shape; e='albert.embeddings.'
    x=W[e+'word_embeddings.weight'][ids]+W[e+'token_type_embeddings.weight'][0]+W[e+'position_embeddings.weight'][:L]
    x=lin(ln(x,e+'LayerNorm'),'albert.encoder.embedding_hidden_mapping_in')
    for l in range(NL):
        p=f'albert.encoder.albert_layer_groups.{l*G//NL}.albert_layers.0.'
        sp=lambda t:t.view(B,L,NH,hs).transpose(1,2)
        q,k,v=sp(lin(x,p+'attention.query')),sp(lin(x,p+'attention.key')),sp(lin(x,p+'attention.value'))
        c=((q@k.transpose(-1,-2)/math.sqrt(hs)).softmax(-1)@v).transpose(1,2).reshape(B,L,H)
        a=ln(x+lin(c,p+'attention.dense'),p+'attention.LayerNorm')
        x=ln(a+lin(F.gelu(lin(a,p+'ffn'),approximate='tanh'),p+'ffn_output'),p+'full_layer_layer_norm')
    y=ln(F.gelu(lin(x,'predictions.dense'),approximate='tanh'),'predictions.LayerNorm')
    return y@W['albert.embeddings.word_embeddings.weight'].t()+W['predictions.bias']
random.seed(0)
lines=[]
import glob
for fn in sorted(glob.glob(sys.argv[2] + '/*.txt' if len(sys.argv) > 2 else '../shared/corpus/zh/*.txt')):
    ls=open(fn,encoding='utf8').read().split('\n'); random.shuffle(ls); lines+= [l for l in ls[:50] if 4<=len(l)<=60]
stats={'mask':[0,0],'keep':[0,0],'rand':[0,0]}
unk=stoi['[UNK]']
for l in lines:
    ids=[stoi['[CLS]']]+[stoi.get(c.lower(),unk) for c in l]+[stoi['[SEP]']]
    pos=[i for i in range(1,len(ids)-1)]
    for kind in stats:
        i=random.choice(pos); x=list(ids); tgt=x[i]
        if kind=='mask': x[i]=stoi['[MASK]']
        elif kind=='rand': x[i]=random.randrange(5,len(vocab))
        with torch.no_grad(): pred=fwd(torch.tensor([x]))[0,i].argmax().item()
        stats[kind][0]+=pred==tgt; stats[kind][1]+=1
print(d, {k:f'{100*a/b:.1f}% of {b}' for k,(a,b) in stats.items()})
